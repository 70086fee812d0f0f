package io.ciphertrail.embedded;

import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.IssuedCertificate;
import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.core.pki.TlsFiles;
import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft, broker and controller in one process) that speaks only mutual
 * TLS: the client, inter-broker and controller listeners all require a certificate from the
 * cluster's CA, offer only TLS 1.3 and 1.2, and verify host names. An extra PLAINTEXT listener can
 * be switched on to prove that something refuses it.
 *
 * <pre>{@code
 * try (EmbeddedSecureKafka kafka = EmbeddedSecureKafka.builder().start()) {
 *     kafka.createTopics(1, "orders");
 *     try (var producer = new KafkaProducer<>(kafka.clientProperties("orders-service"), ...)) { ... }
 * }
 * }</pre>
 */
public final class EmbeddedSecureKafka implements SecureKafkaCluster {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSecureKafka.class);

    /** The broker's identity; always a super user so an authorizer never locks the broker out of itself. */
    public static final String BROKER_IDENTITY = "kafka-broker";
    /** Clients connect by this name, so the broker certificate must carry it for hostname verification. */
    public static final String CLIENT_HOST = BrokerSettings.CLIENT_HOST;
    private static final String INTERNAL_HOST = BrokerSettings.INTERNAL_HOST;
    private static final int NODE_ID = 1;
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    /** How often, at most, a listener checks its store files for a renewed certificate when a connection opens. */
    private static final long RELOAD_CHECK_INTERVAL_MS = 500;
    private static final Duration RELOAD_TIMEOUT = Duration.ofSeconds(30);

    private final Builder settings;
    private final Path directory;
    private final boolean deleteOnClose;
    private final CertificateAuthority ca;
    private final Map<ListenerName, Integer> ports;
    private final ClientIdentities clients;
    private TlsFiles brokerTls;
    private NodeServer server;

    private EmbeddedSecureKafka(Builder settings) {
        this.settings = settings;
        this.directory = Directories.createOrTemporary(settings.directory, "ciphertrail-kafka-");
        this.deleteOnClose = settings.directory == null && !settings.keepDirectory;
        this.ca = settings.ca != null ? settings.ca : CertificateAuthority.loadOrCreate(directory.resolve("ca"), "Ciphertrail Local CA");
        this.ports = choosePorts(settings);
        this.clients = new ClientIdentities(ca, directory.resolve("clients"));
    }

    public static Builder builder() {
        return new Builder();
    }

    private EmbeddedSecureKafka start() {
        long started = System.nanoTime();
        Path configFile = directory.resolve("server.properties");
        NodeServer.writeConfig(configFile, brokerConfig(), "Ciphertrail embedded broker");
        try {
            server = NodeServer.start(configFile, Uuid.randomUuid().toString());
            awaitReady();
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("The embedded broker did not start: " + e.getMessage()
                    + ". Its files are in " + directory, e);
        }
        LOG.info("Kafka started in {} ms: {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), listeners());
        return this;
    }

    private Map<String, String> brokerConfig() {
        brokerTls = TlsFiles.write(directory.resolve("broker"), ca.issue(brokerCertificateSpec()), List.of(ca.certificate()));
        Set<String> superUsers = new LinkedHashSet<>();
        superUsers.add("User:" + BROKER_IDENTITY);
        superUsers.add("User:" + ADMIN_IDENTITY);
        superUsers.addAll(settings.superUsers);
        return BrokerSettings.node(NODE_ID)
                .quorum(Map.of(NODE_ID, ports.get(ListenerName.CONTROLLER)))
                .listeners(ports)
                .tls(brokerTls)
                .superUsers(superUsers)
                .authorizerClass(settings.authorizer)
                .dataDirectory(directory.resolve("data"))
                .reloadingTls(ReloadingSslEngineFactory.class.getName(), RELOAD_CHECK_INTERVAL_MS)
                .overrides(settings.brokerProperties)
                .toMap();
    }

    /**
     * Waits until the broker answers as the admin identity on the internal listener, whose address the
     * broker certificate always carries (the client listener's names are the caller's choice).
     */
    private void awaitReady() {
        Map<String, Object> props = clientProperties(ADMIN_IDENTITY);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, INTERNAL_HOST + ":" + ports.get(ListenerName.INTERNAL));
        Readiness.awaitNodes(props, Set.of(NODE_ID), STARTUP_TIMEOUT, () -> { });
    }

    @Override
    public String bootstrapServers() {
        return CLIENT_HOST + ":" + ports.get(ListenerName.SSL);
    }

    @Override
    public Optional<String> plaintextBootstrapServers() {
        return Optional.ofNullable(ports.get(ListenerName.PLAINTEXT)).map(port -> CLIENT_HOST + ":" + port);
    }

    @Override
    public X509Certificate caCertificate() {
        return ca.certificate();
    }

    /** The CA of this cluster, to issue further certificates (for example a replacement during a reload test). */
    public CertificateAuthority certificateAuthority() {
        return ca;
    }

    /** What the broker's certificate is issued for: its identity, the names clients use, and the loopback address. */
    public CertificateSpec brokerCertificateSpec() {
        return CertificateSpec.broker(BROKER_IDENTITY).dnsNames(settings.brokerDnsNames).ipAddresses(INTERNAL_HOST);
    }

    /** The certificate the broker's client listener presents to a new connection now. */
    public X509Certificate presentedCertificate() {
        return TlsProbe.presentedCertificate(clients.tlsFiles(ADMIN_IDENTITY), CLIENT_HOST, ports.get(ListenerName.SSL));
    }

    /**
     * Replaces the broker's key and certificate, and the CA certificates it trusts (old and new during a CA rotation),
     * without a restart, and returns once the client listener presents the new certificate to new connections. The
     * stores are written in place (atomically); every listener's {@link ReloadingSslEngineFactory} loads them when it
     * next opens a connection. Open connections go on. Nothing goes through dynamic broker configuration: a per-broker
     * ALTER makes Kafka reload the TLS stores of every listener and inter-node client one after the other on the thread
     * that also applies metadata, so ACLs, topics and leaders committed meanwhile reach the broker seconds late (tens of
     * seconds on a busy host), and renewals in quick succession keep it behind.
     */
    public synchronized void renewCertificate(IssuedCertificate identity, List<X509Certificate> trusted) {
        char[] password = storePassword();
        KeyStores.writeTrustStore(brokerTls.trustStore(), trusted, password);
        KeyStores.writeKeyStore(brokerTls.keyStore(), identity, password);
        TlsProbe.awaitPresented(clients.tlsFiles(ADMIN_IDENTITY), CLIENT_HOST, ports.get(ListenerName.SSL), identity.certificate(),
                RELOAD_TIMEOUT, "The broker's client listener");
        LOG.info("Broker certificate renewed without a restart: serial {} valid until {}, trusting {} CA certificate(s)",
                identity.certificate().getSerialNumber().toString(16), identity.certificate().getNotAfter().toInstant(), trusted.size());
    }

    private char[] storePassword() {
        return brokerTls.kafkaSslProperties().get(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG).toString().toCharArray();
    }

    @Override
    public Map<String, Object> clientProperties(String identity) {
        return clients.clientProperties(identity, bootstrapServers());
    }

    @Override
    public Path directory() {
        return directory;
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            try {
                server.close();
            } finally {
                server = null;
            }
        }
        if (deleteOnClose) {
            Directories.deleteRecursively(directory);
        }
    }

    private static Map<ListenerName, Integer> choosePorts(Builder settings) {
        Map<ListenerName, Integer> ports = new EnumMap<>(ListenerName.class);
        ports.put(ListenerName.SSL, settings.sslPort > 0 ? settings.sslPort : Ports.free());
        ports.put(ListenerName.INTERNAL, Ports.free());
        ports.put(ListenerName.CONTROLLER, Ports.free());
        if (settings.plaintextListener) {
            ports.put(ListenerName.PLAINTEXT, settings.plaintextPort > 0 ? settings.plaintextPort : Ports.free());
        }
        return ports;
    }

    @Override
    public String toString() {
        return "EmbeddedSecureKafka" + listeners();
    }

    /** How to start a broker. Every option has a default that gives a working mTLS-only broker. */
    public static final class Builder extends LocalKafkaBuilder<Builder> {
        private List<String> brokerDnsNames = List.of(CLIENT_HOST);

        private Builder() {
        }

        /** DNS names on the broker certificate (default {@code localhost}); {@code 127.0.0.1} is always on it. */
        public Builder brokerDnsNames(String... names) {
            this.brokerDnsNames = List.of(names);
            return this;
        }

        /** Starts the broker and returns once it serves TLS clients. */
        @Override
        public EmbeddedSecureKafka start() {
            return new EmbeddedSecureKafka(this).start();
        }

        @Override
        Builder self() {
            return this;
        }
    }
}
