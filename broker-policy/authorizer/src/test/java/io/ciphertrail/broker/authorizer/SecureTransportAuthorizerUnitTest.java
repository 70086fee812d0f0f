package io.ciphertrail.broker.authorizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.broker.authorizer.audit.AuditAggregator;
import io.ciphertrail.broker.authorizer.audit.AuditClientSettings;
import io.ciphertrail.broker.authorizer.audit.AuditEvents;
import io.ciphertrail.broker.authorizer.audit.AuditMetrics;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.Decision;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;
import org.junit.jupiter.api.Test;

/** The transport rules, the configuration checks and the aggregation, without a broker. */
class SecureTransportAuthorizerUnitTest {
    private static final ResourcePattern TOPIC = new ResourcePattern(ResourceType.TOPIC, "orders", PatternType.LITERAL);

    record Context(String listenerName, SecurityProtocol securityProtocol, KafkaPrincipal principal) implements AuthorizableRequestContext {
        @Override
        public InetAddress clientAddress() {
            return InetAddress.getLoopbackAddress();
        }

        @Override
        public int requestType() {
            return 0;
        }

        @Override
        public int requestVersion() {
            return 0;
        }

        @Override
        public String clientId() {
            return "unit";
        }

        @Override
        public int correlationId() {
            return 1;
        }
    }

    static Map<String, Object> brokerConfig(String... extra) {
        Map<String, Object> config = new HashMap<>();
        config.put("node.id", "1");
        config.put("process.roles", "broker,controller");
        config.put("listeners", "SSL://:9093,INTERNAL://127.0.0.1:9094,CONTROLLER://127.0.0.1:9095,PLAINTEXT://:9092");
        config.put("advertised.listeners", "SSL://kafka-1.example:9093,INTERNAL://kafka-1.internal:9094,PLAINTEXT://kafka-1.example:9092");
        config.put("listener.security.protocol.map", "SSL:SSL,INTERNAL:SSL,CONTROLLER:SSL,PLAINTEXT:PLAINTEXT,SASLPLAIN:SASL_PLAINTEXT");
        config.put("inter.broker.listener.name", "INTERNAL");
        config.put("controller.listener.names", "CONTROLLER");
        config.put("super.users", "User:kafka-broker;User:ANONYMOUS;User:root");
        config.put("ssl.keystore.location", "/etc/kafka/broker.p12");
        config.put("ssl.keystore.password", "broker-wide-secret");
        config.put("listener.name.internal.ssl.keystore.password", "internal-secret");
        config.put("ssl.truststore.location", "/etc/kafka/trust.p12");
        for (String kv : extra) {
            int eq = kv.indexOf('=');
            config.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return config;
    }

    static SecureTransportAuthorizer authorizer(String... extra) {
        SecureTransportAuthorizer authorizer = new SecureTransportAuthorizer();
        authorizer.configure(brokerConfig(extra));
        authorizer.withPluginMetrics(new PluginMetricsImpl(new Metrics(), Map.of("role", "broker")));
        authorizer.completeInitialLoad();
        return authorizer;
    }

    static AuthorizationResult decide(SecureTransportAuthorizer authorizer, String listener, SecurityProtocol protocol, String principal) {
        KafkaPrincipal p = new KafkaPrincipal("User", principal);
        return authorizer.authorize(new Context(listener, protocol, p), List.of(new Action(AclOperation.WRITE, TOPIC, 1, true, true))).get(0);
    }

    @Test
    void strictDeniesSuperUsersOverPlaintextAndSaslPlaintextButNotOverTls() {
        SecureTransportAuthorizer strict = authorizer();
        assertThat(decide(strict, "PLAINTEXT", SecurityProtocol.PLAINTEXT, "root")).isEqualTo(AuthorizationResult.DENIED);
        assertThat(decide(strict, "SASLPLAIN", SecurityProtocol.SASL_PLAINTEXT, "root")).isEqualTo(AuthorizationResult.DENIED);
        assertThat(decide(strict, "SSL", SecurityProtocol.SSL, "root")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(decide(strict, "SSL", SecurityProtocol.SSL, "nobody")).isEqualTo(AuthorizationResult.DENIED);
        assertThat(strict.auditMetrics().insecureDenied()).isEqualTo(2);
        assertThat(strict.authorizeByResourceType(new Context("PLAINTEXT", SecurityProtocol.PLAINTEXT, new KafkaPrincipal("User", "root")),
                AclOperation.WRITE, ResourceType.TOPIC)).isEqualTo(AuthorizationResult.DENIED);
        assertThat(strict.authorizeByResourceType(new Context("SSL", SecurityProtocol.SSL, new KafkaPrincipal("User", "root")),
                AclOperation.WRITE, ResourceType.TOPIC)).isEqualTo(AuthorizationResult.ALLOWED);
    }

    @Test
    void permissiveLeavesInsecureRequestsToTheAcls() {
        SecureTransportAuthorizer permissive = authorizer("ciphertrail.authorizer.mode=permissive");
        assertThat(decide(permissive, "PLAINTEXT", SecurityProtocol.PLAINTEXT, "root")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(decide(permissive, "PLAINTEXT", SecurityProtocol.PLAINTEXT, "nobody")).isEqualTo(AuthorizationResult.DENIED);
        assertThat(permissive.auditMetrics().insecureAllowed()).isEqualTo(2);
    }

    @Test
    void anonymousTlsClientsAreDeniedUnlessSwitchedOff() {
        assertThat(decide(authorizer(), "SSL", SecurityProtocol.SSL, "ANONYMOUS")).isEqualTo(AuthorizationResult.DENIED);
        assertThat(decide(authorizer("ciphertrail.authorizer.deny.anonymous=false"), "SSL", SecurityProtocol.SSL, "ANONYMOUS"))
                .isEqualTo(AuthorizationResult.ALLOWED);
    }

    @Test
    void exemptedListenerIsToleratedInStrictMode() {
        SecureTransportAuthorizer strict = authorizer("ciphertrail.authorizer.exempt.listeners=saslplain");
        assertThat(decide(strict, "SASLPLAIN", SecurityProtocol.SASL_PLAINTEXT, "root")).isEqualTo(AuthorizationResult.ALLOWED);
        assertThat(decide(strict, "PLAINTEXT", SecurityProtocol.PLAINTEXT, "root")).isEqualTo(AuthorizationResult.DENIED);
    }

    @Test
    void configurationErrorsNameTheSetting() {
        assertThatThrownBy(() -> authorizer("ciphertrail.authorizer.mode=LENIENT"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ciphertrail.authorizer.mode").hasMessageContaining("LENIENT");
        assertThatThrownBy(() -> authorizer("ciphertrail.authorizer.moed=STRICT"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ciphertrail.authorizer.moed");
        assertThatThrownBy(() -> authorizer("ciphertrail.authorizer.exempt.listeners=NOPE"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ciphertrail.authorizer.exempt.listeners").hasMessageContaining("NOPE");
        assertThatThrownBy(() -> authorizer("ciphertrail.authorizer.audit.window.ms=5"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ciphertrail.authorizer.audit.window.ms");
        assertThatThrownBy(() -> authorizer("inter.broker.listener.name=PLAINTEXT"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PLAINTEXT").hasMessageContaining("ciphertrail.authorizer.exempt.listeners");
        assertThatThrownBy(() -> authorizer("ciphertrail.authorizer.audit.listener=PLAINTEXT"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("never travel in clear");
        // A migration may exempt the internal listener explicitly (and is warned about it).
        authorizer("inter.broker.listener.name=PLAINTEXT", "ciphertrail.authorizer.exempt.listeners=PLAINTEXT",
                "ciphertrail.authorizer.audit.listener=SSL");
    }

    @Test
    void auditClientUsesTheListenersOwnTlsSettingsAndNeverPrintsThem() {
        Map<String, Object> broker = brokerConfig();
        broker.put("ssl.truststore.password", new Password("trust-secret"));
        AuditClientSettings settings = AuditClientSettings.derive(broker, new SecureTransportConfig(broker));
        Map<String, Object> client = settings.clientSettings();
        assertThat(client).containsEntry("bootstrap.servers", "kafka-1.internal:9094")
                .containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.keystore.location", "/etc/kafka/broker.p12")
                .containsEntry("ssl.keystore.password", "internal-secret")
                .containsEntry("ssl.truststore.password", new Password("trust-secret"))
                .doesNotContainKey("ssl.client.auth");
        assertThat(settings.toString()).doesNotContain("secret").contains("INTERNAL", "kafka-1.internal:9094");
    }

    @Test
    void aggregationCountsEveryRequestExactlyWhileBeingDrained() throws Exception {
        AuditMetrics metrics = new AuditMetrics();
        AuditAggregator aggregator = new AuditAggregator(100, System::currentTimeMillis, metrics);
        int threads = 4;
        int perThread = 50_000;
        AtomicLong drainedCount = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        Thread drainer = new Thread(() -> {
            while (!done.get()) {
                aggregator.drain().forEach(d -> drainedCount.addAndGet(d.count()));
            }
        });
        drainer.start();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    Context context = new Context("PLAINTEXT", SecurityProtocol.PLAINTEXT, new KafkaPrincipal("User", "client-" + (i % 3)));
                    aggregator.record(context, thread % 2 == 0 ? TOPIC : new ResourcePattern(ResourceType.GROUP, "g", PatternType.LITERAL),
                            AclOperation.READ, AuditEventType.INSECURE_REQUEST_DENIED, Decision.DENIED);
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        done.set(true);
        drainer.join();
        aggregator.drain().forEach(d -> drainedCount.addAndGet(d.count()));
        assertThat(drainedCount.get()).isEqualTo((long) threads * perThread);
        assertThat(metrics.requestsDropped()).isZero();
    }

    @Test
    void aggregationTableIsBoundedAndCountsWhatItDrops() {
        AuditMetrics metrics = new AuditMetrics();
        AuditAggregator aggregator = new AuditAggregator(2, System::currentTimeMillis, metrics);
        for (int client = 0; client < 5; client++) {
            Context context = new Context("PLAINTEXT", SecurityProtocol.PLAINTEXT, new KafkaPrincipal("User", "client-" + client));
            for (int i = 0; i < 10; i++) {
                aggregator.record(context, new ResourcePattern(ResourceType.TOPIC, "t" + i, PatternType.LITERAL), AclOperation.READ,
                        AuditEventType.INSECURE_REQUEST_DENIED, Decision.DENIED);
            }
        }
        // One key of its own for the first request, one wildcard key in the reserve for the others; then the table is full.
        assertThat(aggregator.size()).isEqualTo(2);
        assertThat(metrics.requestsDropped()).isEqualTo(40);
        assertThat(aggregator.drain()).extracting(AuditAggregator.Drained::count).containsExactlyInAnyOrder(1L, 9L);
    }

    @Test
    void oneRequestNamingTenThousandTopicsCannotHideAnotherClient() {
        AuditMetrics metrics = new AuditMetrics();
        AuditAggregator aggregator = new AuditAggregator(1_000, System::currentTimeMillis, metrics);
        Context flooder = new Context("SSL", SecurityProtocol.SSL, new KafkaPrincipal("User", "flooder"));
        for (int i = 0; i < 10_000; i++) {
            aggregator.record(flooder, new ResourcePattern(ResourceType.TOPIC, "probe-" + i, PatternType.LITERAL), AclOperation.DESCRIBE,
                    AuditEventType.ACL_DENIED, Decision.DENIED);
        }
        Context offender = new Context("PLAINTEXT", SecurityProtocol.PLAINTEXT, KafkaPrincipal.ANONYMOUS);
        for (int i = 0; i < 12; i++) {
            aggregator.record(offender, new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL), AclOperation.DESCRIBE,
                    AuditEventType.INSECURE_REQUEST_DENIED, Decision.DENIED);
        }
        List<AuditAggregator.Drained> drained = aggregator.drain();
        assertThat(metrics.requestsDropped()).isZero();
        assertThat(drained.stream().mapToLong(AuditAggregator.Drained::count).sum()).isEqualTo(10_012);
        assertThat(drained).filteredOn(d -> d.key().principal().equals(KafkaPrincipal.ANONYMOUS))
                .singleElement().satisfies(d -> {
                    assertThat(d.count()).isEqualTo(12);
                    assertThat(d.key().collapsed()).isTrue();
                    assertThat(d.key().resource().name()).isEqualTo("*");
                });
        AuditAggregator.Drained flood = drained.stream().filter(d -> d.key().collapsed() && d.key().principal().getName().equals("flooder"))
                .findFirst().orElseThrow();
        assertThat(flood.count()).isEqualTo(10_000 - 900);
        assertThat(new AuditEvents("c", 1, "broker", "STRICT").toEvent(flood).getAuthorization().getReason())
                .contains("counts the client's requests for any TOPIC").contains("ciphertrail.authorizer.audit.max.aggregates");
        assertThat(metrics.requestsCollapsed()).isEqualTo(10_000 - 900 + 12);
    }

    @Test
    void strictRefusesPasswordMechanismsOnSaslPlaintextListenersAndNamesTheFix() {
        String saslListener = "listeners=SSL://:9093,INTERNAL://127.0.0.1:9094,CONTROLLER://127.0.0.1:9095,SASLPLAIN://:9096";
        for (String mechanisms : List.of("listener.name.saslplain.sasl.enabled.mechanisms=PLAIN",
                "sasl.enabled.mechanisms=GSSAPI,SCRAM-SHA-512", "listener.name.saslplain.sasl.enabled.mechanisms=OAUTHBEARER")) {
            assertThatThrownBy(() -> authorizer(saslListener, mechanisms))
                    .as(mechanisms).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("ciphertrail.authorizer.mode").hasMessageContaining("listener SASLPLAIN is SASL_PLAINTEXT")
                    .hasMessageContaining("credentials").hasMessageContaining("Make it SASL_SSL");
        }
        // Kerberos sends no password; a listener that is not opened does not count; PERMISSIVE and an exemption are explicit choices.
        authorizer(saslListener, "sasl.enabled.mechanisms=GSSAPI");
        authorizer("listener.name.saslplain.sasl.enabled.mechanisms=PLAIN");
        authorizer(saslListener, "sasl.enabled.mechanisms=PLAIN", "ciphertrail.authorizer.mode=PERMISSIVE");
        authorizer(saslListener, "sasl.enabled.mechanisms=PLAIN", "ciphertrail.authorizer.exempt.listeners=SASLPLAIN");
        assertThat(CapturedLogs.lines()).anyMatch(l -> l.contains("SECURITY: listener SASLPLAIN is SASL_PLAINTEXT with PLAIN")
                && l.contains("ciphertrail.authorizer.exempt.listeners"));
    }

    @Test
    void strictWithoutDenyingAnonymousClientsIsWarnedAbout() {
        authorizer("ciphertrail.authorizer.deny.anonymous=false");
        assertThat(CapturedLogs.lines()).anyMatch(l -> l.contains("SECURITY: STRICT mode runs with ciphertrail.authorizer.deny.anonymous=false"));
    }
}
