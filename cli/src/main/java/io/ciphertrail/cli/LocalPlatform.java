package io.ciphertrail.cli;

import io.ciphertrail.broker.authorizer.SecureTransportAuthorizer;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.identity.IdentityApi;
import io.ciphertrail.core.identity.IdentityConfig;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.core.kms.remote.RemoteKmsProvider;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.TlsFiles;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.embedded.BrokerSettings;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.LocalKafkaBuilder;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import io.ciphertrail.embedded.SecureKafkaCluster;
import io.ciphertrail.policy.PolicyService;
import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.rules.PolicyTopic;
import io.ciphertrail.trust.TrustService;
import io.ciphertrail.trust.TrustServiceConfig;
import io.ciphertrail.trust.ca.WorkloadCa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform {@code ciphertrail up} runs on this machine: a real TLS-only Kafka with the
 * SecureTransportAuthorizer in STRICT mode on every node (plus a PLAINTEXT listener that exists only to be
 * refused), the key service in front of a local KEK store (clients reach it with their own certificates and
 * get only what the key policy grants their identity), the CA and workload certificates, and the policy
 * service (which holds no key access at all). Kafka is one node in this JVM, or, with {@code --nodes 3},
 * three nodes each in a JVM of its own with every topic on three replicas. Everything lives in an owner-only
 * {@link Home}, so a restart finds it where it was.
 *
 * <p>Least privilege: the demo producer may write only the ingress topic of a route and the demo consumer read
 * only its egress topic ({@link #openRoute}); key use follows the key policy; KEKs are made by the administrator's
 * path only (through the key service: the demo topics' at start, others with {@code ciphertrail keys create}),
 * never by a client; the KEK store is created once, with the home, and a home whose store went missing refuses
 * to start instead of starting an empty one.
 */
final class LocalPlatform implements AutoCloseable {
    static final String ADMIN = SecureKafkaCluster.ADMIN_IDENTITY;
    static final String PRODUCER = "demo-producer";
    static final String CONSUMER = "demo-consumer";
    static final String SERVICE = "policy-service";
    /** May read the payments topic at the broker, but the key policy grants it no key: it reads nothing. */
    static final String READER = "demo-reader";
    static final String KEY_SERVICE = "key-service";
    /** Identities that get a ready client property file on every start. */
    static final List<String> CLIENT_IDENTITIES = List.of(ADMIN, PRODUCER, CONSUMER, READER);
    /**
     * Identities whose client files hold no key store: their certificates come from the trust service, short-lived, with
     * a one-time token the platform keeps in place (a new one when a client used it). The administrator keeps a key
     * store: it is who makes the tokens.
     */
    static final List<String> SHORT_LIVED_IDENTITIES = List.of(PRODUCER, CONSUMER, READER);
    /** Identities that start with a one-time token the platform keeps in place: the demo's workloads and the policy service. */
    static final List<String> BOOTSTRAPPED_IDENTITIES = List.of(PRODUCER, CONSUMER, READER, SERVICE);
    /** The route the demo and the quick start use, opened on every start. */
    static final String DEMO_INGRESS = "orders.ingress";
    static final String DEMO_EGRESS = "orders";
    /** Written by the producer, readable at the broker by the reader, whose key policy grants it nothing. */
    static final String PAYMENTS = "payments";

    /** Topics only the brokers and the platform's own identities may write to. */
    static final List<String> PLATFORM_TOPICS = List.of(PolicyServiceConfig.DEFAULT_AUDIT_TOPIC, PolicyServiceConfig.DEFAULT_TRAIL_TOPIC,
            QuarantineTopic.DEFAULT_NAME, PolicyTopic.DEFAULT_NAME, PolicyServiceConfig.DEFAULT_ALERTS_TOPIC, PolicyServiceConfig.DEFAULT_BLOCKS_TOPIC,
            TrustServiceConfig.DEFAULT_LEDGER_TOPIC);

    static final int DEFAULT_TLS_PORT = 9093;
    static final int DEFAULT_PLAINTEXT_PORT = 9092;
    static final int DEFAULT_HTTP_PORT = 8080;
    static final int DEFAULT_KEYS_PORT = 8443;

    private static final String DEFAULT_KEY_POLICY = """
            # Written by 'ciphertrail up' on first start; edit it: a valid change applies to the next key operation,
            # without a restart (an invalid one is refused and logged, and the policy in force stays).
            # Default deny. The policy service has no rule: it checks envelopes without ever holding a key.
            rules:
              - name: producer-writes-its-topics
                principals: [User:demo-producer]
                keys: ["ciphertrail/topic/*"]
                operations: [ENCRYPT, DERIVE]
              - name: consumer-reads-its-topics
                principals: [User:demo-consumer]
                keys: ["ciphertrail/topic/*"]
                operations: [DECRYPT, DERIVE]
              - name: payments-stay-with-the-payments-team
                effect: DENY
                principals: [User:demo-consumer]
                keys: [ciphertrail/topic/payments, "ciphertrail/topic/payments/*"]
                operations: [DECRYPT, DERIVE]
              - name: administrators
                principals: [User:ciphertrail-admin]
                keys: ["*"]
                operations: [ADMIN]
            # User:demo-reader may read the payments topic at the broker (an ACL mistake, say), but no rule
            # names it here: it gets KMS_ACCESS_DENIED and no plaintext.
            """;


    private static final String DEFAULT_POLICIES = """
            # Written by 'ciphertrail up' on first start; edit it and run 'ciphertrail policy apply' (or restart).
            # Producers write to <topic>.ingress, encrypted for <topic>; the gate checks each record and
            # forwards it to <topic>, or quarantines it.
            policies:
              - name: ingress-convention
                fromPattern: "(.+)\\\\.ingress"
                to: "$1"
                rules:
                  envelope: ENFORCE
                  binding: ENFORCE
                  trace: ENFORCE
                  size: ENFORCE
            """;

    /** Lifetime of the short-lived identities' certificates: the workload CA's default; renewed at half life, with jitter. */
    static final Duration CERTIFICATE_LIFETIME = Duration.ofHours(24);
    /** How long a bootstrap token in a client's token file stays usable (the workload CA's longest); replaced at half of it. */
    private static final Duration TOKEN_TTL = Duration.ofHours(24);
    private static final Logger LOG = LoggerFactory.getLogger(LocalPlatform.class);

    private final Home home;
    private final SecureKafkaCluster kafka;
    private PolicyService service;
    private Map<String, Object> serviceSettings;
    private final TrustService keyService;
    /** Puts new bootstrap tokens in place, off the request thread that used the previous one. */
    private final ScheduledExecutorService tokens = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "ciphertrail-up-tokens");
        thread.setDaemon(true);
        return thread;
    });
    private final String policies;
    private HomeLock lock;
    private BrokerCertificateRenewer brokerCertificates;

    private final PlatformIdentities identities;

    private LocalPlatform(Home home, SecureKafkaCluster kafka, TrustService keyService, String policies, PlatformIdentities identities) {
        this.home = home;
        this.policies = policies;
        this.kafka = kafka;
        this.keyService = keyService;
        this.identities = identities;
    }

    /** Starts the platform on one Kafka node and the default key service port, preferring the given ports and falling back to free ones. */
    static LocalPlatform start(Home home, int tlsPort, int plaintextPort, int httpPort) {
        return start(home, 1, tlsPort, plaintextPort, httpPort, DEFAULT_KEYS_PORT);
    }

    /**
     * Starts the platform on {@code nodes} Kafka nodes, preferring the given ports (for the first node) and falling
     * back to free ones. The home's lock comes first and is held until {@link #close} has stopped every part (the
     * nodes of a cluster halt with this process): a second start of a running home changes nothing.
     */
    static LocalPlatform start(Home home, int nodes, int tlsPort, int plaintextPort, int httpPort, int keysPort) {
        return start(home, nodes, tlsPort, plaintextPort, httpPort, keysPort, PlatformIdentities.STANDARD);
    }

    /** As above, with the lifetime of the single broker's certificates from the workload CA. */
    static LocalPlatform start(Home home, int nodes, int tlsPort, int plaintextPort, int httpPort, int keysPort, Duration brokerCertificateLifetime) {
        return start(home, nodes, tlsPort, plaintextPort, httpPort, keysPort, PlatformIdentities.STANDARD.withBroker(brokerCertificateLifetime));
    }

    /** As {@link #start(Home, int, int, int, int, int)}, with the platform's certificates living as {@code identities} says. */
    static LocalPlatform start(Home home, int nodes, int tlsPort, int plaintextPort, int httpPort, int keysPort, PlatformIdentities identities) {
        HomeLock lock = HomeLock.acquire(home);
        try {
            LocalPlatform platform = startLocked(home, nodes, tlsPort, plaintextPort, httpPort, keysPort, identities);
            platform.lock = lock;
            lock.describe("pid " + ProcessHandle.current().pid() + ", brokers " + platform.kafka().listeners().entrySet().stream()
                    .map(l -> l.getKey() + "://" + l.getValue()).collect(java.util.stream.Collectors.joining(" ")) + ", key service "
                    + platform.keyServiceUrl() + ", policy service http://127.0.0.1:" + platform.service().httpPort());
            return platform;
        } catch (RuntimeException | Error e) {
            lock.close();
            throw e;
        }
    }

    private static LocalPlatform startLocked(Home home, int nodes, int tlsPort, int plaintextPort, int httpPort, int keysPort,
                                             PlatformIdentities identities) {
        home.prepare();
        PlatformIdentities.removeRetiredKeyFiles(home);
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(home.ca(), "Ciphertrail Local CA");
        prepareKms(home);
        SecureKafkaCluster kafka = startKafka(home, ca, nodes, tlsPort, plaintextPort);
        PolicyService service = null;
        TrustService keyService = null;
        LocalPlatform platform = null;
        try {
            Map<String, Object> admin = kafka.clientProperties(ADMIN);
            AdminCredential.keepBounded(ca, admin);
            grantBaseAcls(admin);
            reservePlatformTopics(admin);
            openRoute(admin, DEMO_INGRESS, DEMO_EGRESS);
            openPayments(admin);
            if (!Files.exists(home.policies())) {
                Files.writeString(home.policies(), DEFAULT_POLICIES);
            }
            if (!Files.exists(home.keyPolicy())) {
                Files.writeString(home.keyPolicy(), DEFAULT_KEY_POLICY);
            }
            // The trust service first: the policy service takes its certificate from it. The audit topic exists before
            // either publishes to it.
            Topics.ensure(admin, PolicyServiceConfig.DEFAULT_AUDIT_TOPIC);
            keyService = TrustService.start(keyServiceSettings(home, kafka, isFree(keysPort) ? keysPort : 0, identities));
            PolicyPublication policies = PolicyPublication.decide(admin, home.policies(), home.argument());
            platform = new LocalPlatform(home, kafka, keyService, policies.summary(), identities);
            platform.keepTokensInPlace();
            // The policy service gets no KMS settings at all: it checks envelopes without ever holding a key. Its
            // certificate comes from the trust service, with the one-time token the platform keeps in place.
            Map<String, Object> serviceSettings = platform.shortLivedSettings(SERVICE, identities.services());
            serviceSettings.put("application.id", "ciphertrail-policy-service");
            serviceSettings.put("state.dir", home.serviceState().toString());
            if (policies.publishFile()) {
                serviceSettings.put(PolicyServiceConfig.POLICIES_FILE_CONFIG, home.policies().toString());
            }
            serviceSettings.put(PolicyServiceConfig.HTTP_PORT_CONFIG, isFree(httpPort) ? httpPort : 0);
            serviceSettings.put(PolicyServiceConfig.ALERT_WINDOW_MS_CONFIG, 60_000L);
            service = PolicyService.start(serviceSettings);
            platform.service = service;
            platform.serviceSettings = Map.copyOf(serviceSettings);
            for (String identity : CLIENT_IDENTITIES) {
                ClientSettings.write(home.clientProperties(identity), identity, platform.clientSettings(identity));
            }
            Map<String, Object> keyAdmin = platform.clientSettings(ADMIN);
            ensureKek(keyAdmin, DEMO_EGRESS);
            ensureKek(keyAdmin, PAYMENTS);
            if (kafka instanceof EmbeddedSecureKafka broker) {
                // From now on the broker presents short-lived certificates from the workload CA, renewed without a restart.
                platform.brokerCertificates = BrokerCertificateRenewer.start(broker, keyService,
                        home.ca().resolve(CertificateAuthority.CERTIFICATE_FILE), home.kafka(), "User:" + ADMIN, identities.broker());
            }
            return platform;
        } catch (IOException e) {
            stop(platform, keyService, service, kafka);
            throw new UncheckedIOException("Cannot write " + home.policies() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            stop(platform, keyService, service, kafka);
            throw e;
        }
    }

    /** Short audit windows, so the demo shows refused clients within seconds. */
    private static final Map<String, String> BROKER_PROPERTIES = Map.of("ciphertrail.authorizer.audit.window.ms", "2000");

    /** One node in this JVM, or a cluster of {@code nodes} each in a JVM of its own; the same settings either way. */
    private static SecureKafkaCluster startKafka(Home home, CertificateAuthority ca, int nodes, int tlsPort, int plaintextPort) {
        LocalKafkaBuilder<?> kafka = nodes > 1
                ? MultiNodeSecureKafka.builder().nodes(nodes).directory(home.cluster())
                : EmbeddedSecureKafka.builder().directory(home.kafka());
        return kafka.certificateAuthority(ca)
                .sslPort(isFree(tlsPort) ? tlsPort : 0)
                .plaintextListener(true)
                .plaintextPort(isFree(plaintextPort) ? plaintextPort : 0)
                .authorizer(SecureTransportAuthorizer.class.getName())
                // The platform's own services: the audit topic's WRITE is reserved to them (and the key service holds the KEKs anyway).
                .superUsers("User:" + SERVICE, "User:" + KEY_SERVICE)
                .brokerProperties(BROKER_PROPERTIES)
                .start();
    }

    /**
     * Creates the KEK store with a new home (its password file marks that the home was set up). A set-up home
     * whose store is gone does not start: an empty store in its place would hand out different keys under the
     * old names, and the records written before would read as broken.
     */
    private static void prepareKms(Home home) {
        boolean password = Files.exists(home.kmsPassword());
        boolean store = Files.exists(home.kmsKeyStore());
        if (!password && !store) {
            SecureFiles.writeOwnerOnly(home.kmsPassword(), TlsFiles.newPassword().getBytes(StandardCharsets.US_ASCII));
            KmsConfig.initialize(kmsSettings(home));
        } else if (!store) {
            throw new IllegalStateException("The KEK store " + home.kmsKeyStore() + " is missing, but this home was set up"
                    + " before (" + home.kmsPassword() + " exists). Put the key store back (from a backup); records written"
                    + " before are readable only with its keys. To start over with new keys anyway (those records stay"
                    + " unreadable), run: ciphertrail keys init --home " + home.root());
        } else if (!password) {
            throw new IllegalStateException("The KEK store password file " + home.kmsPassword() + " is missing; put it back"
                    + " (from a backup): the key store " + home.kmsKeyStore() + " cannot be opened without it");
        }
    }

    private static void stop(LocalPlatform platform, TrustService keyService, PolicyService service, SecureKafkaCluster kafka) {
        if (platform != null) {
            platform.tokens.shutdownNow();
        }
        stop(keyService, service, kafka);
    }

    /** The policy service first: it renews its certificate at the key service. */
    private static void stop(TrustService keyService, PolicyService service, SecureKafkaCluster kafka) {
        try {
            if (service != null) {
                service.close();
            }
        } finally {
            try {
                if (keyService != null) {
                    keyService.close();
                }
            } finally {
                kafka.close();
            }
        }
    }

    /**
     * The key service: no key store; the CA it hosts (the home CA) issues its own short-lived server certificate (for
     * localhost) in process and renews it at half life. The home's key store is its backend, the home's key policy its
     * policy, and the broker takes its audit trail and the CA's ledger (as User:key-service).
     */
    private static Map<String, Object> keyServiceSettings(Home home, SecureKafkaCluster kafka, int port, PlatformIdentities identities) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        settings.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, home.ca().resolve(CertificateAuthority.CERTIFICATE_FILE).toString());
        settings.put(TrustServiceConfig.IDENTITY_NAME_CONFIG, KEY_SERVICE);
        settings.put(TrustServiceConfig.IDENTITY_DNS_NAMES_CONFIG, EmbeddedSecureKafka.CLIENT_HOST);
        settings.put(TrustServiceConfig.IDENTITY_IP_ADDRESSES_CONFIG, "127.0.0.1");
        settings.put(TrustServiceConfig.IDENTITY_LIFETIME_MS_CONFIG, identities.services().toMillis());
        settings.put("bootstrap.servers", kafka.bootstrapServers());
        settings.put("security.protocol", "SSL");
        settings.putAll(kmsSettings(home));
        settings.put(TrustServiceConfig.PORT_CONFIG, port);
        settings.put(TrustServiceConfig.MANAGEMENT_PORT_CONFIG, 0);
        settings.put(TrustServiceConfig.KEY_POLICY_FILE_CONFIG, home.keyPolicy().toString());
        settings.put(TrustServiceConfig.PRINCIPAL_MAPPING_RULES_CONFIG, BrokerSettings.PRINCIPAL_MAPPING_RULES);
        settings.put(TrustServiceConfig.AUDIT_TOPIC_CONFIG, PolicyServiceConfig.DEFAULT_AUDIT_TOPIC);
        // Short audit windows, so the demo shows key uses within seconds.
        settings.put(TrustServiceConfig.AUDIT_WINDOW_MS_CONFIG, 1_000L);
        // The workload CA, with the home CA's key: 'ciphertrail certs token' makes one-time tokens, workloads get
        // short-lived certificates through the bootstrap listener (a free port) and renew them over mutual TLS.
        settings.put(TrustServiceConfig.CA_KEY_SOURCE_CONFIG, "FILE");
        settings.put(TrustServiceConfig.CA_DIRECTORY_CONFIG, home.ca().toString());
        settings.put(TrustServiceConfig.BOOTSTRAP_PORT_CONFIG, 0);
        return settings;
    }

    /**
     * Settings for one identity: mutual TLS to the broker, and the key service as its KMS, reached with the
     * same certificate. No KMS secret is in them: what the identity may do with keys is the key policy's say.
     */
    Map<String, Object> clientSettings(String identity) {
        if (SHORT_LIVED_IDENTITIES.contains(identity)) {
            return shortLivedClientSettings(identity, CERTIFICATE_LIFETIME);
        }
        Map<String, Object> settings = new HashMap<>(kafka.clientProperties(identity));
        settings.put(KmsConfig.TYPE_CONFIG, "remote");
        settings.put(RemoteKmsProvider.URLS_CONFIG, keyServiceUrl());
        return settings;
    }

    /**
     * A one-time token in each short-lived identity's owner-only token file now, a new one whenever a client used it,
     * and all of them again before they expire.
     */
    private void keepTokensInPlace() {
        WorkloadCa ca = keyService.ca().orElseThrow();
        awaitLedger(ca);
        BOOTSTRAPPED_IDENTITIES.forEach(this::writeToken);
        ca.onTokenUsed(identity -> {
            if (BOOTSTRAPPED_IDENTITIES.contains(identity)) {
                tokens.execute(() -> writeToken(identity));
            }
        });
        tokens.scheduleWithFixedDelay(() -> BOOTSTRAPPED_IDENTITIES.forEach(this::writeToken), TOKEN_TTL.toHours() / 2,
                TOKEN_TTL.toHours() / 2, TimeUnit.HOURS);
    }

    /** The CA decides once it has read its ledger of tokens and bars (a moment after start). */
    private static void awaitLedger(WorkloadCa ca) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!ca.ledger().ready()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The trust service's CA did not read its ledger topic within 60 s: " + ca.ledger().problem());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the trust service's CA", e);
            }
        }
    }

    private void writeToken(String identity) {
        try {
            String token = keyService.ca().orElseThrow().createToken("User:" + ADMIN,
                    new IdentityApi.TokenRequest(identity, TOKEN_TTL.toSeconds(), null, null, null)).token();
            SecureFiles.writeOwnerOnly(tokenFile(identity), token.getBytes(StandardCharsets.US_ASCII));
        } catch (RuntimeException e) {
            LOG.warn("Could not put a new bootstrap token in place for {}: {}", identity, e.getMessage());
        }
    }

    private java.nio.file.Path tokenFile(String identity) {
        return home.clients().resolve(identity + ".token");
    }

    /**
     * Settings for one identity that take its certificate from the trust service instead of a key store: the owner-only
     * file with its one-time token, the trust service's URLs, the CA to check servers against. No key store, no
     * password: the key pair is made in memory and renewed at half life.
     */
    private Map<String, Object> shortLivedClientSettings(String identity, Duration lifetime) {
        Map<String, Object> settings = shortLivedSettings(identity, lifetime);
        settings.put(KmsConfig.TYPE_CONFIG, "remote");
        settings.put(RemoteKmsProvider.URLS_CONFIG, keyServiceUrl());
        return settings;
    }

    /** Kafka settings of an identity whose certificate comes from the trust service (a workload's or the policy service's). */
    private Map<String, Object> shortLivedSettings(String identity, Duration lifetime) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", kafka.bootstrapServers());
        settings.put("security.protocol", "SSL");
        settings.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        settings.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, home.ca().resolve(CertificateAuthority.CERTIFICATE_FILE).toString());
        settings.put(IdentityConfig.NAME_CONFIG, identity);
        settings.put(IdentityConfig.URLS_CONFIG, keyServiceUrl());
        settings.put(IdentityConfig.BOOTSTRAP_URLS_CONFIG, "https://" + EmbeddedSecureKafka.CLIENT_HOST + ":" + keyService.bootstrapPort());
        settings.put(IdentityConfig.BOOTSTRAP_TOKEN_FILE_CONFIG, tokenFile(identity).toString());
        settings.put(IdentityConfig.LIFETIME_MS_CONFIG, lifetime.toMillis());
        return settings;
    }

    /** Which policies this start put in force, and why. */
    String policies() {
        return policies;
    }

    String keyServiceUrl() {
        return "https://" + EmbeddedSecureKafka.CLIENT_HOST + ":" + keyService.port();
    }

    /** The key service's backend: the home's KEK store. Only the key service (and {@code keys init}) opens it. */
    static Map<String, Object> kmsSettings(Home home) {
        return Map.of(KmsConfig.TYPE_CONFIG, "local",
                LocalKmsProvider.KEYSTORE_PATH_CONFIG, home.kmsKeyStore().toString(),
                LocalKmsProvider.PASSWORD_FILE_CONFIG, home.kmsPassword().toString());
    }

    /** The KEK of {@code topic}, created by the administrator's path when it has none yet. */
    static void ensureKek(Map<String, Object> adminSettings, String topic) {
        String alias = new EnvelopeConfig(adminSettings).kekAlias(topic);
        try (KmsAdmin keys = KmsConfig.admin(adminSettings)) {
            if (keys.list().stream().noneMatch(info -> info.ref().alias().equals(alias))) {
                keys.create(alias);
            }
        }
    }

    /**
     * Creates a route's topics if missing and grants the demo identities exactly what the route needs: the
     * producer writes its ingress topic, the consumer reads its egress topic (the gate, a super user, moves
     * records between them). STRICT mode still refuses both over plaintext.
     */
    static void openRoute(Map<String, Object> adminSettings, String ingress, String egress) {
        Topics.ensure(adminSettings, ingress, egress);
        createAcls(adminSettings, List.of(
                new AclBinding(topic(ingress), allow(PRODUCER, AclOperation.WRITE)),
                new AclBinding(topic(egress), allow(CONSUMER, AclOperation.READ))));
    }

    /**
     * The payments topic: the producer writes it, and the reader may fetch it at the broker (an ACL granted by
     * mistake, say): the broker hands it the records, the key service no key.
     */
    private static void openPayments(Map<String, Object> adminSettings) {
        Topics.ensure(adminSettings, PAYMENTS);
        createAcls(adminSettings, List.of(
                new AclBinding(topic(PAYMENTS), allow(PRODUCER, AclOperation.WRITE)),
                new AclBinding(topic(PAYMENTS), allow(READER, AclOperation.READ))));
    }

    /**
     * What the demo identities need on any route: idempotent writes, and consumer groups and share groups
     * (queues); ALTER_CONFIGS lets {@code consume --share-group --from-beginning} start a new queue at its oldest record.
     */
    private static void grantBaseAcls(Map<String, Object> adminSettings) {
        ResourcePattern groups = new ResourcePattern(ResourceType.GROUP, "*", PatternType.LITERAL);
        createAcls(adminSettings, List.of(
                new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                        allow(PRODUCER, AclOperation.IDEMPOTENT_WRITE)),
                new AclBinding(groups, allow(CONSUMER, AclOperation.READ)),
                new AclBinding(groups, allow(CONSUMER, AclOperation.ALTER_CONFIGS)),
                new AclBinding(groups, allow(READER, AclOperation.READ))));
    }

    private static ResourcePattern topic(String name) {
        return new ResourcePattern(ResourceType.TOPIC, name, PatternType.LITERAL);
    }

    private static void createAcls(Map<String, Object> adminSettings, List<AclBinding> acls) {
        try (Admin admin = Admin.create(TlsConfig.secureClientConfigs(adminSettings))) {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot grant the demo identities their ACLs: " + e.getMessage(), e);
        }
    }

    /**
     * Only super users (the broker, the policy service, the key service, the administrator) may write to the platform's own topics:
     * a DENY for everyone else beats any ALLOW, wildcards included. Audit events there are trusted to come from the
     * brokers (the policy service no longer writes the audit topic: its trail has a topic of its own), quarantine
     * records and the trail from the gate, policies and blocks from the platform.
     */
    private static void reservePlatformTopics(Map<String, Object> adminSettings) {
        AccessControlEntry nobodyElse = new AccessControlEntry("User:*", "*", AclOperation.WRITE, AclPermissionType.DENY);
        createAcls(adminSettings, PLATFORM_TOPICS.stream().map(topic -> new AclBinding(topic(topic), nobodyElse)).toList());
    }

    private static AccessControlEntry allow(String identity, AclOperation operation) {
        return new AccessControlEntry("User:" + identity, "*", operation, AclPermissionType.ALLOW);
    }

    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    Home home() {
        return home;
    }

    SecureKafkaCluster kafka() {
        return kafka;
    }

    PolicyService service() {
        return service;
    }

    /** The policy service's settings: what a restarted policy service starts with (its token file, no key store). */
    Map<String, Object> serviceSettings() {
        return new HashMap<>(serviceSettings);
    }

    TrustService keyService() {
        return keyService;
    }

    PlatformIdentities identities() {
        return identities;
    }

    /** The single broker's certificate renewals; empty for a cluster, whose nodes keep their home CA certificates. */
    Optional<BrokerCertificateRenewer> brokerCertificates() {
        return Optional.ofNullable(brokerCertificates);
    }

    @Override
    public void close() {
        if (brokerCertificates != null) {
            brokerCertificates.close();
        }
        try {
            stop(this, keyService, service, kafka);
        } finally {
            if (lock != null) {
                lock.close();
            }
        }
    }
}
