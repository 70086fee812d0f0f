package io.ciphertrail.embedded;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.IssuedCertificate;
import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.core.pki.TlsFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.Time;
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
    public static final String CLIENT_HOST = "localhost";
    /** How a certificate becomes a principal: its CN, so a client issued for "orders-service" is User:orders-service. */
    public static final String PRINCIPAL_MAPPING_RULES = "RULE:^CN=([^,]+),.*$/$1/,DEFAULT";
    /** Broker-internal listeners use the loopback address, which the broker certificate always carries. */
    private static final String INTERNAL_HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private final Builder settings;
    private final Path directory;
    private final boolean deleteOnClose;
    private final CertificateAuthority ca;
    private final Map<ListenerName, Integer> ports;
    private final ClientIdentities clients;
    private TlsFiles brokerTls;
    private KafkaRaftServer server;

    private EmbeddedSecureKafka(Builder settings) {
        this.settings = settings;
        try {
            this.directory = settings.directory != null
                    ? Files.createDirectories(settings.directory).toAbsolutePath()
                    : Files.createTempDirectory("ciphertrail-kafka-").toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the broker directory: " + e.getMessage(), e);
        }
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
        Properties config = brokerConfig();
        Path configFile = directory.resolve("server.properties");
        SecureFiles.writeOwnerOnly(configFile, toText(config));
        format(configFile);
        server = new KafkaRaftServer(KafkaConfig.fromProps(config, false), Time.SYSTEM);
        try {
            server.startup();
            awaitReady();
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("The embedded broker did not start: " + e.getMessage()
                    + ". Its files are in " + directory, e);
        }
        LOG.info("Kafka started in {} ms: {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), listeners());
        return this;
    }

    private Properties brokerConfig() {
        brokerTls = TlsFiles.write(directory.resolve("broker"), ca.issue(brokerCertificate()), List.of(ca.certificate()));

        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", String.valueOf(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@" + INTERNAL_HOST + ":" + ports.get(ListenerName.CONTROLLER));
        props.put("controller.listener.names", ListenerName.CONTROLLER.name());
        props.put("inter.broker.listener.name", ListenerName.INTERNAL.name());
        props.put("listeners", ports.entrySet().stream()
                .map(e -> e.getKey() + "://" + host(e.getKey()) + ":" + e.getValue())
                .collect(Collectors.joining(",")));
        props.put("advertised.listeners", ports.entrySet().stream()
                .filter(e -> e.getKey() != ListenerName.CONTROLLER)
                .map(e -> e.getKey() + "://" + host(e.getKey()) + ":" + e.getValue())
                .collect(Collectors.joining(",")));
        props.put("listener.security.protocol.map", ports.keySet().stream()
                .map(l -> l + ":" + (l == ListenerName.PLAINTEXT ? SecurityProtocol.PLAINTEXT : SecurityProtocol.SSL))
                .collect(Collectors.joining(",")));

        // Mutual TLS everywhere, including the broker's own connections to itself as controller and peer.
        brokerTls.kafkaSslProperties().forEach((key, value) -> props.put(key, value.toString()));
        props.put("ssl.client.auth", "required");
        props.put("ssl.principal.mapping.rules", PRINCIPAL_MAPPING_RULES);

        Set<String> superUsers = new LinkedHashSet<>();
        superUsers.add("User:" + BROKER_IDENTITY);
        superUsers.add("User:" + ADMIN_IDENTITY);
        superUsers.addAll(settings.superUsers);
        props.put("super.users", String.join(";", superUsers));
        if (settings.authorizer != null) {
            props.put("authorizer.class.name", settings.authorizer);
        }

        props.put("log.dirs", directory.resolve("data").toString());
        props.put("auto.create.topics.enable", "false");
        props.put("num.partitions", "1");
        // A single node: every internal topic has one replica and needs one in sync.
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        // Small footprint: the default cleaner buffer alone takes 128 MiB.
        props.put("log.cleaner.dedupe.buffer.size", "2097152");
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "2");
        props.put("background.threads", "2");
        props.put("num.recovery.threads.per.data.dir", "1");
        props.putAll(settings.brokerProperties);
        return props;
    }

    private static String host(ListenerName listener) {
        return listener == ListenerName.SSL || listener == ListenerName.PLAINTEXT ? CLIENT_HOST : INTERNAL_HOST;
    }

    /** Formats storage on first start only: a kept directory keeps its cluster id and its data. */
    private void format(Path configFile) {
        if (Files.exists(directory.resolve("data").resolve("meta.properties"))) {
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            exit = StorageTool.execute(new String[] {
                "format", "-t", Uuid.randomUuid().toString(), "-c", configFile.toString()}, print);
        }
        if (exit != 0) {
            throw new IllegalStateException("Formatting the broker storage in " + directory + " failed: "
                    + out.toString(StandardCharsets.UTF_8).trim());
        }
    }

    /**
     * Waits until the broker answers as the admin identity on the internal listener, whose address the
     * broker certificate always carries (the client listener's names are the caller's choice).
     */
    private void awaitReady() {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        RuntimeException last = null;
        Map<String, Object> props = clientProperties(ADMIN_IDENTITY);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, INTERNAL_HOST + ":" + ports.get(ListenerName.INTERNAL));
        try (Admin admin = Admin.create(props)) {
            while (System.nanoTime() < deadline) {
                try {
                    if (!admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof AuthenticationException) {
                        throw new IllegalStateException("TLS between the broker and its own admin client failed: "
                                + e.getCause().getMessage(), e.getCause());
                    }
                    last = new IllegalStateException(e.getCause().getMessage(), e.getCause());
                } catch (java.util.concurrent.TimeoutException e) {
                    last = new IllegalStateException("no answer within 10 s", e);
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the broker", e);
        }
        throw new IllegalStateException("The broker did not become ready within " + STARTUP_TIMEOUT.toSeconds() + " s"
                + (last != null ? ": " + last.getMessage() : ""), last);
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
    public Map<String, String> listeners() {
        Map<String, String> listeners = new LinkedHashMap<>();
        listeners.put(ListenerName.SSL.name(), bootstrapServers());
        plaintextBootstrapServers().ifPresent(address -> listeners.put(ListenerName.PLAINTEXT.name(), address));
        return Collections.unmodifiableMap(listeners);
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
    public CertificateSpec brokerCertificate() {
        return CertificateSpec.broker(BROKER_IDENTITY).dnsNames(settings.brokerDnsNames).ipAddresses(INTERNAL_HOST);
    }

    /** The certificate the broker presents now, from its key store. */
    public X509Certificate brokerCertificateInUse() {
        return KeyStores.readKeyStore(brokerTls.keyStore(), storePassword()).certificate();
    }

    /**
     * Replaces the broker's key and certificate, and the CA certificates it trusts (a trust bundle: old and new CA during
     * a rotation), without a restart: writes its stores and has every TLS listener reload them through dynamic
     * configuration ({@link ListenerTlsReload}). Open connections go on; new ones get the new certificate.
     */
    public void renewCertificate(IssuedCertificate identity, List<X509Certificate> trusted) {
        char[] password = storePassword();
        KeyStores.writeKeyStore(brokerTls.keyStore(), identity, password);
        KeyStores.writeTrustStore(brokerTls.trustStore(), trusted, password);
        List<String> tls = ports.keySet().stream().filter(listener -> listener != ListenerName.PLAINTEXT).map(Enum::name).toList();
        try (Admin admin = Admin.create(clientProperties(ADMIN_IDENTITY))) {
            ListenerTlsReload.reload(admin, NODE_ID, tls, brokerTls.keyStore(), brokerTls.trustStore(), Duration.ofSeconds(60));
        }
        LOG.info("Broker certificate renewed without a restart: serial {} valid until {}, trusting {} CA certificate(s)",
                identity.certificate().getSerialNumber().toString(16), identity.certificate().getNotAfter().toInstant(), trusted.size());
    }

    private char[] storePassword() {
        return brokerTls.kafkaSslProperties().get(org.apache.kafka.common.config.SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG).toString().toCharArray();
    }

    @Override
    public Map<String, Object> clientProperties(String identity) {
        return clients.clientProperties(identity, bootstrapServers());
    }

    @Override
    public Map<String, Object> plaintextClientProperties() {
        String bootstrap = plaintextBootstrapServers().orElseThrow(() -> new IllegalStateException(
                "This cluster has no PLAINTEXT listener; start it with builder().plaintextListener(true)"));
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SecurityProtocol.PLAINTEXT.name);
        return props;
    }

    @Override
    public void createTopics(int partitions, String... topics) {
        Topics.create(this, partitions, topics);
    }

    @Override
    public Path directory() {
        return directory;
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            try {
                server.shutdown();
                server.awaitShutdown();
            } finally {
                server = null;
            }
        }
        if (deleteOnClose) {
            deleteRecursively(directory);
        }
    }

    private static Map<ListenerName, Integer> choosePorts(Builder settings) {
        Map<ListenerName, Integer> ports = new EnumMap<>(ListenerName.class);
        ports.put(ListenerName.SSL, settings.sslPort > 0 ? settings.sslPort : freePort());
        ports.put(ListenerName.INTERNAL, freePort());
        ports.put(ListenerName.CONTROLLER, freePort());
        if (settings.plaintextListener) {
            ports.put(ListenerName.PLAINTEXT, settings.plaintextPort > 0 ? settings.plaintextPort : freePort());
        }
        return ports;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on the loopback interface: " + e.getMessage(), e);
        }
    }

    private static byte[] toText(Properties props) {
        StringWriter out = new StringWriter();
        try {
            props.store(out, "Ciphertrail embedded broker");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", root, e.toString());
        }
    }

    @Override
    public String toString() {
        return "EmbeddedSecureKafka" + listeners();
    }

    /** How to start a broker. Every option has a default that gives a working mTLS-only broker. */
    public static final class Builder {
        private Path directory;
        private boolean keepDirectory;
        private CertificateAuthority ca;
        private boolean plaintextListener;
        private int sslPort;
        private int plaintextPort;
        private String authorizer;
        private final List<String> superUsers = new ArrayList<>();
        private List<String> brokerDnsNames = List.of(CLIENT_HOST);
        private final Map<String, String> brokerProperties = new LinkedHashMap<>();

        private Builder() {
        }

        /** Keep files here (and across restarts) instead of in a temporary directory deleted on close. */
        public Builder directory(Path directory) {
            this.directory = directory;
            return this;
        }

        /** Keep the temporary directory after close, to inspect log segments or certificates. */
        public Builder keepDirectory(boolean keep) {
            this.keepDirectory = keep;
            return this;
        }

        /** Use this CA instead of the one kept in {@code <directory>/ca} (created there on first start). */
        public Builder certificateAuthority(CertificateAuthority ca) {
            this.ca = ca;
            return this;
        }

        /** Also open a PLAINTEXT listener: only for showing that insecure clients are refused. */
        public Builder plaintextListener(boolean enabled) {
            this.plaintextListener = enabled;
            return this;
        }

        /** Fixed port for the TLS client listener (default: a free port). */
        public Builder sslPort(int port) {
            this.sslPort = port;
            return this;
        }

        /** Fixed port for the PLAINTEXT listener, when enabled (default: a free port). */
        public Builder plaintextPort(int port) {
            this.plaintextPort = port;
            return this;
        }

        /** {@code authorizer.class.name}; the broker and {@link SecureKafkaCluster#ADMIN_IDENTITY} are always super users. */
        public Builder authorizer(String className) {
            this.authorizer = className;
            return this;
        }

        /** More super users, as principals ({@code User:name}). */
        public Builder superUsers(String... principals) {
            this.superUsers.addAll(List.of(principals));
            return this;
        }

        /** DNS names on the broker certificate (default {@code localhost}); {@code 127.0.0.1} is always on it. */
        public Builder brokerDnsNames(String... names) {
            this.brokerDnsNames = List.of(names);
            return this;
        }

        /** Any broker setting, applied last. */
        public Builder brokerProperty(String key, String value) {
            this.brokerProperties.put(key, value);
            return this;
        }

        public Builder brokerProperties(Map<String, String> properties) {
            this.brokerProperties.putAll(properties);
            return this;
        }

        /** Starts the broker and returns once it serves TLS clients. */
        public EmbeddedSecureKafka start() {
            return new EmbeddedSecureKafka(this).start();
        }
    }
}
