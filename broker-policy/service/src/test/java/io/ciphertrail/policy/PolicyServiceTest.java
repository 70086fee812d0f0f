package io.ciphertrail.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.consumer.SecureConsumer;
import io.ciphertrail.core.envelope.CryptoListener;
import io.ciphertrail.core.envelope.DekCache;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.envelope.EnvelopeEncryptor;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.core.trace.TraceContext;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.policy.audit.AuditCodec;
import io.ciphertrail.policy.quarantine.QuarantineHeaders;
import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.quarantine.QuarantinedRecord;
import io.ciphertrail.policy.rules.PolicyFile;
import io.ciphertrail.policy.rules.PolicyTopic;
import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.producer.SecureProducerConfig;
import io.ciphertrail.schemas.PlatformSchemas;
import io.ciphertrail.schemas.alert.Alert;
import io.ciphertrail.schemas.alert.AlertAction;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy service against a real TLS-only broker running the SecureTransportAuthorizer (STRICT). */
@WithSecureKafka(plaintextListener = true,
        authorizer = "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer",
        superUsers = {"User:policy-service", "User:orders-service", "User:legacy-service", "User:billing-service", "User:operator"},
        brokerProperties = {"ciphertrail.authorizer.audit.window.ms=1000"})
class PolicyServiceTest {
    static final String POLICIES = """
            policies:
              - name: orders
                from: orders.ingress
                to: orders
              - name: payments
                from: payments.ingress
                to: payments
                rules:
                  trace: PERMISSIVE
            """;

    @TempDir
    static Path dir;
    static EmbeddedSecureKafka kafka;
    static Map<String, Object> kms;
    static PolicyService service;

    @BeforeAll
    static void start(EmbeddedSecureKafka cluster) throws Exception {
        kafka = cluster;
        PlatformSchemas.trust();
        Path password = dir.resolve("kms-password");
        SecureFiles.writeOwnerOnly(password, "kms-pw".getBytes(StandardCharsets.UTF_8));
        kms = Map.of(KmsConfig.TYPE_CONFIG, "local", LocalKmsProvider.KEYSTORE_PATH_CONFIG, dir.resolve("keks.p12").toString(),
                LocalKmsProvider.PASSWORD_FILE_CONFIG, password.toString());
        KmsConfig.initialize(kms);
        try (KmsAdmin admin = KmsConfig.admin(kms)) {
            for (String topic : List.of("orders", "payments", "invoices")) {
                admin.create("ciphertrail/topic/" + topic);
            }
        }
        kafka.createTopics(1, "orders.ingress", "orders", "payments.ingress", "payments", "invoices.ingress", "invoices");
        Path policyFile = dir.resolve("policies.yaml");
        Files.writeString(policyFile, POLICIES);

        Map<String, Object> settings = new HashMap<>(kafka.clientProperties("policy-service"));
        settings.put("application.id", "policy-service-test");
        settings.put("state.dir", dir.resolve("state").toString());
        settings.put(PolicyServiceConfig.POLICIES_FILE_CONFIG, policyFile.toString());
        settings.put(PolicyServiceConfig.HTTP_PORT_CONFIG, 0);
        settings.put(PolicyServiceConfig.ALERT_THRESHOLD_CONFIG, 5L);
        settings.put(PolicyServiceConfig.ALERT_WINDOW_MS_CONFIG, 30_000L);
        settings.put(PolicyServiceConfig.BLOCK_ENABLED_CONFIG, true);
        settings.put(PolicyServiceConfig.BLOCK_DURATION_MS_CONFIG, 4_000L);
        service = PolicyService.start(settings);
        await().atMost(Duration.ofSeconds(60)).until(() -> service.state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING
                && service.policies().routeFor("orders.ingress").isPresent());
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    static Map<String, Object> client(String identity, Object... overrides) {
        Map<String, Object> configs = new HashMap<>(kafka.clientProperties(identity));
        configs.putAll(kms);
        for (int i = 0; i < overrides.length; i += 2) {
            configs.put((String) overrides[i], overrides[i + 1]);
        }
        return configs;
    }

    static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast) {
        Map<String, Object> configs = client("operator", "group.id", "reader-" + topic + "-" + System.nanoTime(),
                "auto.offset.reset", "earliest", "isolation.level", "read_committed");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(configs, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= atLeast;
            });
            // Drain what else is there, so callers see the whole topic.
            for (int i = 0; i < 3; i++) {
                consumer.poll(Duration.ofMillis(300)).forEach(records::add);
            }
        }
        return records;
    }

    static List<AuditEvent> auditTrail(String traceId, int atLeast) {
        List<AuditEvent> events = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            events.clear();
            readAll("ciphertrail.audit", 1).stream()
                    .map(r -> AuditCodec.decode(r.value())).flatMap(java.util.Optional::stream)
                    .filter(e -> e.getRecord() != null && traceId.equals(e.getRecord().getTraceId()))
                    .forEach(events::add);
            return events.size() >= atLeast;
        });
        return events;
    }

    @Test
    void encryptedEventIsForwardedWithItsTraceAndTheConsumerLibraryDecryptsIt() throws Exception {
        ProducerRecord<String, String> order = new ProducerRecord<>("orders.ingress", "o-1", "two widgets");
        try (SecureProducer<String, String> producer = new SecureProducer<>(client("orders-service",
                SecureProducerConfig.BOUND_TOPICS_CONFIG, "orders.ingress:orders"), new StringSerializer(), new StringSerializer())) {
            producer.send(order).get();
        }
        String traceId = SecureProducer.traceId(order).orElseThrow();
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(client("billing-service", "group.id", "billing",
                "auto.offset.reset", "earliest", "isolation.level", "read_committed"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("orders"));
            List<ConsumerRecord<String, String>> received = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                return received.stream().anyMatch(r -> "o-1".equals(r.key()));
            });
            ConsumerRecord<String, String> record = received.stream().filter(r -> "o-1".equals(r.key())).findFirst().orElseThrow();
            assertThat(record.value()).isEqualTo("two widgets");
            assertThat(SecureConsumer.traceId(record)).contains(traceId);
        }
        assertThat(auditTrail(traceId, 2)).extracting(AuditEvent::getEventType)
                .contains(AuditEventType.RECORD_ACCEPTED, AuditEventType.RECORD_FORWARDED);
        assertThat(service.metrics().value("ciphertrail_gate_records_forwarded_total", "policy", "orders")).isPositive();
    }

    @Test
    void unencryptedAndWronglyBoundRecordsAreQuarantinedByteIdenticalWithReasons() throws Exception {
        byte[] plain = "{\"card\":\"4111\"}".getBytes(StandardCharsets.UTF_8);
        Headers headers = new RecordHeaders();
        TraceContext.newTrace().writeTo(headers);
        headers.add("origin", "legacy".getBytes(StandardCharsets.UTF_8));
        long plainOffset;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            plainOffset = producer.send(new ProducerRecord<>("orders.ingress", null, 1_700_000_000_000L,
                    "legacy-key".getBytes(StandardCharsets.UTF_8), plain, headers)).get().offset();
        }
        ProducerRecord<String, String> misrouted = new ProducerRecord<>("orders.ingress", "m-1", "meant for payments");
        try (SecureProducer<String, String> producer = new SecureProducer<>(client("orders-service",
                SecureProducerConfig.BOUND_TOPICS_CONFIG, "orders.ingress:payments"), new StringSerializer(), new StringSerializer())) {
            producer.send(misrouted).get();
        }

        List<QuarantinedRecord> quarantined = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            quarantined.clear();
            quarantined.addAll(QuarantineTopic.read(client("operator"), "ciphertrail.quarantine",
                    q -> "orders.ingress".equals(q.reason().sourceTopic())));
            return quarantined.stream().anyMatch(q -> "NOT_ENCRYPTED".equals(q.reason().code()))
                    && quarantined.stream().anyMatch(q -> "WRONG_TOPIC".equals(q.reason().code()));
        });

        QuarantinedRecord notEncrypted = quarantined.stream().filter(q -> "NOT_ENCRYPTED".equals(q.reason().code())).findFirst().orElseThrow();
        assertThat(notEncrypted.record().value()).isEqualTo(plain);
        assertThat(notEncrypted.record().key()).isEqualTo("legacy-key".getBytes(StandardCharsets.UTF_8));
        assertThat(notEncrypted.record().timestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(QuarantineHeaders.original(notEncrypted.record().headers()).toArray()).isEqualTo(headers.toArray());
        assertThat(notEncrypted.reason().rule()).isEqualTo("envelope");
        assertThat(notEncrypted.reason().policy()).isEqualTo("orders");
        assertThat(notEncrypted.reason().sourcePartition()).isZero();
        assertThat(notEncrypted.reason().sourceOffset()).isEqualTo(plainOffset);
        assertThat(notEncrypted.reason().time()).isPositive();

        QuarantinedRecord wrongTopic = quarantined.stream().filter(q -> "WRONG_TOPIC".equals(q.reason().code())).findFirst().orElseThrow();
        assertThat(wrongTopic.reason().rule()).isEqualTo("binding");
        assertThat(wrongTopic.reason().detail()).contains("encrypted for topic 'payments'");
        assertThat(wrongTopic.traceId()).isEqualTo(SecureProducer.traceId(misrouted));
        assertThat(auditTrail(wrongTopic.traceId().orElseThrow(), 2)).extracting(AuditEvent::getEventType)
                .contains(AuditEventType.RECORD_QUARANTINED);
    }

    @Test
    void aDeleteFromTheSecureProducerIsForwardedAndAPlainOneFromAnyWriterIsQuarantined() throws Exception {
        try (SecureProducer<String, String> producer = new SecureProducer<>(client("orders-service",
                SecureProducerConfig.BOUND_TOPICS_CONFIG, "orders.ingress:orders"), new StringSerializer(), new StringSerializer());
             KafkaProducer<byte[], byte[]> intruder = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("orders.ingress", "delete-genuine", null)).get();
            intruder.send(new ProducerRecord<>("orders.ingress", "delete-forged".getBytes(StandardCharsets.UTF_8), null)).get();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> !QuarantineTopic.read(client("operator"), "ciphertrail.quarantine",
                q -> Arrays.equals(q.record().key(), "delete-forged".getBytes(StandardCharsets.UTF_8))
                        && "UNAUTHENTICATED_DELETE".equals(q.reason().code())).isEmpty());
        ConsumerRecord<byte[], byte[]> forwarded = readAll("orders", 1).stream()
                .filter(r -> Arrays.equals(r.key(), "delete-genuine".getBytes(StandardCharsets.UTF_8))).findFirst().orElseThrow();
        assertThat(forwarded.value()).isNull();
        assertThat(forwarded.headers().lastHeader(io.ciphertrail.core.envelope.DeleteProof.HEADER)).isNotNull();
        assertThat(readAll("orders", 1)).noneMatch(r -> Arrays.equals(r.key(), "delete-forged".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void missingTraceIsRejectedWhenEnforcedAndAssignedWhenPermissive() throws Exception {
        try (Kms keys = KmsConfig.kms(kms);
             EnvelopeEncryptor encryptor = new EnvelopeEncryptor(keys, new EnvelopeConfig(Map.of()), new DekCache(10, 60_000, Clock.systemUTC()),
                     CryptoListener.NONE, Clock.systemUTC());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("orders.ingress", "untraced-order".getBytes(StandardCharsets.UTF_8),
                    encryptor.encrypt("orders", new RecordHeaders(), new byte[] {1}))).get();
            producer.send(new ProducerRecord<>("payments.ingress", "untraced-payment".getBytes(StandardCharsets.UTF_8),
                    encryptor.encrypt("payments", new RecordHeaders(), new byte[] {2}))).get();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> !QuarantineTopic.read(client("operator"), "ciphertrail.quarantine",
                q -> Arrays.equals(q.record().key(), "untraced-order".getBytes(StandardCharsets.UTF_8))
                        && "MISSING_TRACE".equals(q.reason().code())).isEmpty());
        ConsumerRecord<byte[], byte[]> payment = readAll("payments", 1).stream()
                .filter(r -> Arrays.equals(r.key(), "untraced-payment".getBytes(StandardCharsets.UTF_8))).findFirst().orElseThrow();
        assertThat(TraceContext.fromHeaders(payment.headers())).isPresent();
    }

    @Test
    void policyPublishedWhileRunningAppliesWithoutRestartAndAFixedRecordReplaysWithItsTrace() throws Exception {
        ProducerRecord<String, String> invoice = new ProducerRecord<>("invoices.ingress", "i-1", "invoice 1");
        try (SecureProducer<String, String> producer = new SecureProducer<>(client("orders-service",
                SecureProducerConfig.BOUND_TOPICS_CONFIG, "invoices.ingress:invoices"), new StringSerializer(), new StringSerializer())) {
            producer.send(invoice).get();
        }
        String traceId = SecureProducer.traceId(invoice).orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> !QuarantineTopic.read(client("operator"), "ciphertrail.quarantine",
                q -> q.traceId().equals(java.util.Optional.of(traceId)) && "NO_POLICY".equals(q.reason().code())).isEmpty());

        PolicyTopic.apply(client("operator"), "ciphertrail.policies", PolicyFile.parse(POLICIES
                + "  - name: invoices\n    from: invoices.ingress\n    to: invoices\n", "update"));
        await().atMost(Duration.ofSeconds(30)).until(() -> service.policies().routeFor("invoices.ingress").isPresent());

        List<QuarantinedRecord> replayed = QuarantineTopic.replay(client("operator"), "ciphertrail.quarantine", "ciphertrail.audit",
                q -> q.traceId().equals(java.util.Optional.of(traceId)), "ciphertrail://test");
        assertThat(replayed).hasSize(1);

        ConsumerRecord<byte[], byte[]> forwarded = readAll("invoices", 1).get(0);
        assertThat(TraceContext.fromHeaders(forwarded.headers()).orElseThrow().traceId()).isEqualTo(traceId);
        assertThat(auditTrail(traceId, 5)).extracting(AuditEvent::getEventType).contains(AuditEventType.RECORD_QUARANTINED,
                AuditEventType.RECORD_REPLAYED, AuditEventType.RECORD_FORWARDED);
    }

    @Test
    void repeatedPlaintextAttemptsRaiseAnAlertAndAnExpiringDenyAcl() throws Exception {
        Map<String, Object> plaintext = new HashMap<>(kafka.plaintextClientProperties());
        plaintext.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        plaintext.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000);
        try (Admin intruder = Admin.create(plaintext)) {
            for (int i = 0; i < 12; i++) {
                try {
                    intruder.describeAcls(AclBindingFilter.ANY).values().get(5, TimeUnit.SECONDS);
                } catch (ExecutionException expected) {
                    // denied: the broker refuses plaintext
                }
            }
        }
        List<ConsumerRecord<byte[], byte[]>> alerts = readAll("ciphertrail.alerts", 1);
        Alert alert = Alert.fromByteBuffer(ByteBuffer.wrap(alerts.get(0).value()));
        assertThat(alert.getPrincipal()).isEqualTo("User:ANONYMOUS");
        assertThat(alert.getClientAddress()).isEqualTo("127.0.0.1");
        assertThat(alert.getAttempts()).isGreaterThanOrEqualTo(5);
        assertThat(alert.getAction()).isEqualTo(AlertAction.BLOCKED);
        assertThat(alert.getMessage()).contains("move this client to the TLS listener");

        try (Admin admin = kafka.admin()) {
            AclBindingFilter anonymous = new AclBindingFilter(org.apache.kafka.common.resource.ResourcePatternFilter.ANY,
                    new org.apache.kafka.common.acl.AccessControlEntryFilter("User:ANONYMOUS", "127.0.0.1",
                            org.apache.kafka.common.acl.AclOperation.ANY, AclPermissionType.DENY));
            await().atMost(Duration.ofSeconds(10)).until(() -> !admin.describeAcls(anonymous).values().get().isEmpty());
            assertThat(admin.describeAcls(anonymous).values().get()).extracting(AclBinding::entry)
                    .allMatch(entry -> entry.permissionType() == AclPermissionType.DENY);
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.describeAcls(anonymous).values().get().isEmpty());
        }
        assertThat(service.metrics().value("ciphertrail_acl_unblocks_total")).isPositive();
    }

    @Test
    void internalTopicsHoldNoPayloadKeyOrSecret() throws Exception {
        String marker = "INTERNAL-TOPIC-MARKER-93";
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("orders.ingress", marker.getBytes(StandardCharsets.UTF_8), marker.getBytes(StandardCharsets.UTF_8))).get();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> !QuarantineTopic.read(client("operator"), "ciphertrail.quarantine",
                q -> Arrays.equals(q.record().key(), marker.getBytes(StandardCharsets.UTF_8))).isEmpty());
        List<String> internal;
        try (Admin admin = kafka.admin()) {
            internal = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names().get()
                    .stream().filter(t -> t.startsWith("policy-service-test-")).toList();
        }
        assertThat(internal).isNotEmpty();
        String password = kafka.clientProperties("policy-service").get("ssl.keystore.password").toString();
        for (String topic : internal) {
            for (ConsumerRecord<byte[], byte[]> record : readAll(topic, 0)) {
                String text = new String(record.key() == null ? new byte[0] : record.key(), StandardCharsets.ISO_8859_1)
                        + new String(record.value() == null ? new byte[0] : record.value(), StandardCharsets.ISO_8859_1);
                assertThat(text).as("record in internal topic %s", topic).doesNotContain(marker).doesNotContain(password).doesNotContain("kms-pw");
            }
        }
    }

    @Test
    void healthAndMetricsEndpointsAnswer() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"").contains("RUNNING");
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("ciphertrail_streams_running 1.0").contains("ciphertrail_streams_records_lag_max");
    }
}
