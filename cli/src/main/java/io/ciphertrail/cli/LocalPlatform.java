package io.ciphertrail.cli;

import io.ciphertrail.broker.authorizer.SecureTransportAuthorizer;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.TlsFiles;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.SecureKafkaCluster;
import io.ciphertrail.policy.PolicyService;
import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.rules.PolicyTopic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The platform {@code ciphertrail up} runs on this machine: a real TLS-only broker with the
 * SecureTransportAuthorizer in STRICT mode (plus a PLAINTEXT listener that exists only to be refused),
 * a local KMS, the CA and workload certificates, and the policy service. Everything lives in an owner-only
 * {@link Home}, so a restart finds it where it was.
 *
 * <p>Least privilege: the demo producer may write only the ingress topic of a route and the demo consumer read
 * only its egress topic ({@link #openRoute}); KEKs are made by the administrator's path only (the demo route's at
 * start, others with {@code ciphertrail keys create}), never by a client; the KEK store is created once, with the
 * home, and a home whose store went missing refuses to start instead of starting an empty one.
 */
final class LocalPlatform implements AutoCloseable {
    static final String ADMIN = SecureKafkaCluster.ADMIN_IDENTITY;
    static final String PRODUCER = "demo-producer";
    static final String CONSUMER = "demo-consumer";
    static final String SERVICE = "policy-service";
    /** Identities that get a ready client property file on every start. */
    static final List<String> CLIENT_IDENTITIES = List.of(ADMIN, PRODUCER, CONSUMER);
    /** The route the demo and the quick start use, opened on every start. */
    static final String DEMO_INGRESS = "orders.ingress";
    static final String DEMO_EGRESS = "orders";

    /** Topics only the brokers and the platform's own identities may write to. */
    static final List<String> PLATFORM_TOPICS = List.of(PolicyServiceConfig.DEFAULT_AUDIT_TOPIC, PolicyServiceConfig.DEFAULT_TRAIL_TOPIC,
            QuarantineTopic.DEFAULT_NAME, PolicyTopic.DEFAULT_NAME, PolicyServiceConfig.DEFAULT_ALERTS_TOPIC, PolicyServiceConfig.DEFAULT_BLOCKS_TOPIC);

    static final int DEFAULT_TLS_PORT = 9093;
    static final int DEFAULT_PLAINTEXT_PORT = 9092;
    static final int DEFAULT_HTTP_PORT = 8080;

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

    private final Home home;
    private final EmbeddedSecureKafka kafka;
    private final PolicyService service;

    private LocalPlatform(Home home, EmbeddedSecureKafka kafka, PolicyService service) {
        this.home = home;
        this.kafka = kafka;
        this.service = service;
    }

    /** Starts the platform, preferring the given ports and falling back to free ones. */
    static LocalPlatform start(Home home, int tlsPort, int plaintextPort, int httpPort) {
        home.prepare();
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(home.ca(), "Ciphertrail Local CA");
        prepareKms(home);
        EmbeddedSecureKafka kafka = EmbeddedSecureKafka.builder()
                .directory(home.kafka())
                .certificateAuthority(ca)
                .sslPort(isFree(tlsPort) ? tlsPort : 0)
                .plaintextListener(true)
                .plaintextPort(isFree(plaintextPort) ? plaintextPort : 0)
                .authorizer(SecureTransportAuthorizer.class.getName())
                .superUsers("User:" + SERVICE)
                // Short audit windows, so the demo shows refused clients within seconds.
                .brokerProperty("ciphertrail.authorizer.audit.window.ms", "2000")
                .start();
        try {
            for (String identity : CLIENT_IDENTITIES) {
                ClientSettings.write(home.clientProperties(identity), identity, clientSettings(home, kafka, identity));
            }
            Map<String, Object> admin = clientSettings(home, kafka, ADMIN);
            grantBaseAcls(admin);
            reservePlatformTopics(admin);
            openRoute(admin, DEMO_INGRESS, DEMO_EGRESS);
            ensureKek(admin, DEMO_EGRESS);
            if (!Files.exists(home.policies())) {
                Files.writeString(home.policies(), DEFAULT_POLICIES);
            }
            Map<String, Object> service = clientSettings(home, kafka, SERVICE);
            service.put("application.id", "ciphertrail-policy-service");
            service.put("state.dir", home.serviceState().toString());
            service.put(PolicyServiceConfig.POLICIES_FILE_CONFIG, home.policies().toString());
            service.put(PolicyServiceConfig.HTTP_PORT_CONFIG, isFree(httpPort) ? httpPort : 0);
            service.put(PolicyServiceConfig.ALERT_WINDOW_MS_CONFIG, 60_000L);
            return new LocalPlatform(home, kafka, PolicyService.start(service));
        } catch (IOException e) {
            kafka.close();
            throw new UncheckedIOException("Cannot write " + home.policies() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
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

    /** Settings for one identity: mutual TLS to the broker and the local KMS. */
    static Map<String, Object> clientSettings(Home home, SecureKafkaCluster kafka, String identity) {
        Map<String, Object> settings = new HashMap<>(kafka.clientProperties(identity));
        settings.putAll(kmsSettings(home));
        return settings;
    }

    private static Map<String, Object> kmsSettings(Home home) {
        return Map.of(KmsConfig.TYPE_CONFIG, "local",
                LocalKmsProvider.KEYSTORE_PATH_CONFIG, home.kmsKeyStore().toString(),
                LocalKmsProvider.PASSWORD_FILE_CONFIG, home.kmsPassword().toString());
    }

    /** The KEK of {@code topic}, created by the administrator's path when it has none yet. */
    private static void ensureKek(Map<String, Object> adminSettings, String topic) {
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

    /** What the demo identities need on any route: idempotent writes, and consumer groups. */
    private static void grantBaseAcls(Map<String, Object> adminSettings) {
        createAcls(adminSettings, List.of(
                new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                        allow(PRODUCER, AclOperation.IDEMPOTENT_WRITE)),
                new AclBinding(new ResourcePattern(ResourceType.GROUP, "*", PatternType.LITERAL), allow(CONSUMER, AclOperation.READ))));
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
     * Only super users (the broker, the policy service, the administrator) may write to the platform's own topics:
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

    EmbeddedSecureKafka kafka() {
        return kafka;
    }

    PolicyService service() {
        return service;
    }

    @Override
    public void close() {
        try {
            service.close();
        } finally {
            kafka.close();
        }
    }
}
