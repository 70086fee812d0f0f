package io.ciphertrail.embedded;

import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka cluster of several TLS-only KRaft nodes on this machine, each node (broker and controller)
 * in a JVM of its own so that a test can kill, freeze or restart it: every node is a controller voter,
 * every listener (client, inter-broker, controller) is mutual TLS, every node runs the same authorizer,
 * and every topic, internal ones included, is replicated to three nodes with two in sync
 * ({@link BrokerSettings}). Node failures are detected within seconds ({@link BrokerSettings#fastFailover()}).
 *
 * <pre>{@code
 * try (MultiNodeSecureKafka kafka = MultiNodeSecureKafka.builder().nodes(3).start()) {
 *     kafka.createTopics(3, "orders");                       // replication factor 3, min.insync.replicas 2
 *     kafka.leaderOf("orders", 0).kill();                    // SIGKILL the partition's leader
 *     kafka.awaitHealthy(Duration.ofMinutes(1));             // after restarting it: every replica in sync
 * }
 * }</pre>
 *
 * Nodes run this JVM's class path (under Maven Surefire, the test class path), so an authorizer or other
 * plugin on it is on theirs. They halt when this JVM ends, however it ends.
 */
public final class MultiNodeSecureKafka implements SecureKafkaCluster {
    private static final Logger LOG = LoggerFactory.getLogger(MultiNodeSecureKafka.class);
    static final Duration NODE_START_TIMEOUT = Duration.ofSeconds(120);
    private static final String CLUSTER_ID_FILE = "cluster.id";

    private final Builder settings;
    private final Path directory;
    private final boolean deleteOnClose;
    private final CertificateAuthority ca;
    private final ClientIdentities clients;
    private final Map<Integer, ClusterNode> nodes = new LinkedHashMap<>();

    private MultiNodeSecureKafka(Builder settings) {
        this.settings = settings;
        this.directory = Directories.createOrTemporary(settings.directory, "ciphertrail-cluster-");
        this.deleteOnClose = settings.directory == null && !settings.keepDirectory;
        this.ca = settings.ca != null ? settings.ca : CertificateAuthority.loadOrCreate(directory.resolve("ca"), "Ciphertrail Local CA");
        this.clients = new ClientIdentities(ca, directory.resolve("clients"));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The TLS identity, and Kafka principal name, of node {@code id}. */
    public static String nodeIdentity(int id) {
        return "kafka-" + id;
    }

    /** What a node's certificate holds: its identity, and the names clients and peers reach it by. */
    static CertificateSpec nodeCertificateSpec(int id) {
        return CertificateSpec.broker(nodeIdentity(id)).dnsNames(BrokerSettings.CLIENT_HOST).ipAddresses(BrokerSettings.INTERNAL_HOST);
    }

    private MultiNodeSecureKafka start() {
        long started = System.nanoTime();
        String clusterId = clusterId();
        Map<Integer, Map<ListenerName, Integer>> ports = choosePorts();
        Map<Integer, Integer> quorum = new LinkedHashMap<>();
        ports.forEach((id, listeners) -> quorum.put(id, listeners.get(ListenerName.CONTROLLER)));
        Set<String> superUsers = new LinkedHashSet<>();
        ports.keySet().forEach(id -> superUsers.add("User:" + nodeIdentity(id)));
        superUsers.add("User:" + ADMIN_IDENTITY);
        superUsers.addAll(settings.superUsers);

        for (Map.Entry<Integer, Map<ListenerName, Integer>> entry : ports.entrySet()) {
            int id = entry.getKey();
            Path nodeDirectory = directory.resolve("node-" + id);
            TlsFiles tls = TlsFiles.write(nodeDirectory.resolve("tls"), ca.issue(nodeCertificateSpec(id)), List.of(ca.certificate()));
            Map<String, String> config = BrokerSettings.node(id)
                    .quorum(quorum)
                    .listeners(entry.getValue())
                    .tls(tls)
                    .superUsers(superUsers)
                    .authorizerClass(settings.authorizer)
                    .dataDirectory(nodeDirectory.resolve("data"))
                    .overrides(settings.brokerProperties)
                    .toMap();
            Path configFile = nodeDirectory.resolve("server.properties");
            NodeServer.writeConfig(configFile, config, "Ciphertrail cluster node " + id);
            nodes.put(id, new ClusterNode(this, id, nodeDirectory, entry.getValue(), tls, command(configFile, clusterId)));
        }
        try {
            nodes.values().forEach(ClusterNode::launch);
            Readiness.awaitNodes(internalAdminSettings(), nodes.keySet(), NODE_START_TIMEOUT,
                    () -> nodes.values().forEach(ClusterNode::requireNotExited));
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("The " + nodes.size() + "-node cluster did not start: " + e.getMessage()
                    + ". Its files are in " + directory, e);
        }
        LOG.info("{}-node Kafka cluster started in {} ms: {}", nodes.size(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), listeners());
        return this;
    }

    /** The cluster's id, kept in its directory so that a kept cluster restarts as itself. */
    private String clusterId() {
        Path file = directory.resolve(CLUSTER_ID_FILE);
        try {
            if (Files.exists(file)) {
                return Files.readString(file, StandardCharsets.US_ASCII).trim();
            }
            String id = Uuid.randomUuid().toString();
            Files.writeString(file, id, StandardCharsets.US_ASCII);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Node 1 takes the preferred client ports when they are free; every other port is a free one. */
    private Map<Integer, Map<ListenerName, Integer>> choosePorts() {
        Map<Integer, Map<ListenerName, Integer>> ports = new LinkedHashMap<>();
        for (int id = 1; id <= settings.nodes; id++) {
            Map<ListenerName, Integer> listeners = new EnumMap<>(ListenerName.class);
            listeners.put(ListenerName.SSL, id == 1 ? Ports.preferred(settings.sslPort) : Ports.free());
            listeners.put(ListenerName.INTERNAL, Ports.free());
            listeners.put(ListenerName.CONTROLLER, Ports.free());
            if (settings.plaintextListener) {
                listeners.put(ListenerName.PLAINTEXT, id == 1 ? Ports.preferred(settings.plaintextPort) : Ports.free());
            }
            ports.put(id, listeners);
        }
        return ports;
    }

    private List<String> command(Path configFile, String clusterId) {
        List<String> options = new ArrayList<>(settings.javaOptions);
        options.add(JvmCommand.LOGGING);
        return JvmCommand.of(options, settings.classPath, EmbeddedKafkaMain.class.getName(), List.of("--node", configFile.toString(),
                "--cluster-id", clusterId, "--parent-pid", String.valueOf(ProcessHandle.current().pid())));
    }

    /** The nodes, by id (1 to n). */
    public List<ClusterNode> nodes() {
        return List.copyOf(nodes.values());
    }

    public ClusterNode node(int id) {
        ClusterNode node = nodes.get(id);
        if (node == null) {
            throw new IllegalArgumentException("No node " + id + "; the nodes are " + nodes.keySet());
        }
        return node;
    }

    /** The node that leads {@code topic}'s {@code partition} now. */
    public ClusterNode leaderOf(String topic, int partition) {
        TopicPartitionInfo info = describe(List.of(topic)).get(topic).partitions().get(partition);
        if (info.leader() == null || info.leader().isEmpty()) {
            throw new IllegalStateException(topic + "-" + partition + " has no leader now");
        }
        return node(info.leader().id());
    }

    /** The node that is the active controller (the KRaft quorum's leader) now. */
    public ClusterNode activeController() {
        try (Admin admin = admin()) {
            return node(admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId());
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot find the active controller: " + cause(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    /**
     * Returns once the cluster is whole again: every node runs and is a live broker, and every partition
     * of every topic (internal ones too) has a leader and all its replicas in sync. What a rolling restart
     * waits for before taking down the next node.
     */
    public void awaitHealthy(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ClusterNode node : nodes.values()) {
            if (!node.isRunning() || node.isPaused()) {
                throw new IllegalStateException("Node " + node.id() + " is " + (node.isRunning() ? "paused" : "not running")
                        + "; the cluster cannot become healthy without it");
            }
        }
        Readiness.awaitNodes(adminSettings(), nodes.keySet(), timeout, () -> nodes.values().forEach(ClusterNode::requireNotExited));
        String lagging = "";
        try (Admin admin = Admin.create(adminSettings())) {
            while (System.nanoTime() < deadline) {
                try {
                    Set<String> topics = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true))
                            .names().get(10, TimeUnit.SECONDS);
                    lagging = admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                            .flatMap(d -> d.partitions().stream()
                                    .filter(p -> p.leader() == null || p.leader().isEmpty() || p.isr().size() < p.replicas().size())
                                    .map(p -> d.name() + "-" + p.partition() + " (isr " + ids(p.isr()) + " of " + ids(p.replicas()) + ")"))
                            .collect(Collectors.joining(", "));
                    if (lagging.isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    lagging = cause(e);
                }
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the cluster", e);
        }
        throw new IllegalStateException("Not every replica is in sync after " + timeout.toSeconds() + " s: " + lagging);
    }

    /**
     * Puts the cluster back together after a fault: resumes paused nodes, starts stopped or killed ones, and
     * waits until it is {@linkplain #awaitHealthy(Duration) healthy}.
     */
    public void heal(Duration timeout) {
        nodes.values().forEach(node -> {
            if (node.isPaused()) {
                node.resume();
            }
        });
        nodes.values().forEach(ClusterNode::launch);
        awaitHealthy(timeout);
    }

    private Map<String, TopicDescription> describe(Collection<String> topics) {
        try (Admin admin = admin()) {
            return admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot describe " + topics + ": " + cause(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).sorted().toList();
    }

    private static String cause(Exception e) {
        return e.getCause() != null ? e.getCause().getMessage() : String.valueOf(e.getMessage());
    }

    /**
     * An admin client as {@link #ADMIN_IDENTITY} that gives up on an unresponsive node quickly and tries
     * another: what the cluster's own checks use while a node is down or frozen.
     */
    @Override
    public Admin admin() {
        return Admin.create(adminSettings());
    }

    private Map<String, Object> adminSettings() {
        Map<String, Object> settings = clientProperties(ADMIN_IDENTITY);
        settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return settings;
    }

    /** Admin settings on the internal listeners, whose addresses every node certificate carries. */
    private Map<String, Object> internalAdminSettings() {
        Map<String, Object> settings = adminSettings();
        settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                nodes.values().stream().map(n -> n.address(ListenerName.INTERNAL)).collect(Collectors.joining(",")));
        return settings;
    }

    @Override
    public String bootstrapServers() {
        return nodes.values().stream().map(ClusterNode::bootstrapServers).collect(Collectors.joining(","));
    }

    @Override
    public Optional<String> plaintextBootstrapServers() {
        if (!settings.plaintextListener) {
            return Optional.empty();
        }
        return Optional.of(nodes.values().stream().map(n -> n.address(ListenerName.PLAINTEXT)).collect(Collectors.joining(",")));
    }

    @Override
    public X509Certificate caCertificate() {
        return ca.certificate();
    }

    /** The CA that issued every node's and client's certificate. */
    public CertificateAuthority certificateAuthority() {
        return ca;
    }

    @Override
    public Map<String, Object> clientProperties(String identity) {
        return clients.clientProperties(identity, bootstrapServers());
    }

    TlsFiles clientTlsFiles(String identity) {
        return clients.tlsFiles(identity);
    }

    @Override
    public Path directory() {
        return directory;
    }

    /** Stops every node (side by side, each given a minute for a clean shutdown), then deletes a temporary directory. */
    @Override
    public void close() {
        CompletableFuture.allOf(nodes.values().stream()
                .map(node -> CompletableFuture.runAsync(node::stop))
                .toArray(CompletableFuture[]::new)).join();
        if (deleteOnClose) {
            Directories.deleteRecursively(directory);
        }
    }

    @Override
    public String toString() {
        return "MultiNodeSecureKafka" + listeners();
    }

    /** How to start a cluster. Every option has a default that gives a working three-node mutual TLS cluster. */
    public static final class Builder extends LocalKafkaBuilder<Builder> {
        private int nodes = 3;
        private List<String> javaOptions = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
        private String classPath = JvmCommand.classPath();

        private Builder() {
        }

        /** How many nodes (default 3); each is a broker and a controller voter. */
        public Builder nodes(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("A cluster has at least one node, got " + count);
            }
            this.nodes = count;
            return this;
        }

        /** JVM options of the node processes (default: a 384 MiB heap, serial GC, quick start-up over peak speed). */
        public Builder javaOptions(List<String> options) {
            this.javaOptions = List.copyOf(options);
            return this;
        }

        /** Class path of the node processes (default: this JVM's, or the test class path under Maven Surefire). */
        public Builder classPath(String classPath) {
            this.classPath = classPath;
            return this;
        }

        /** Starts every node side by side and returns once all of them serve. */
        @Override
        public MultiNodeSecureKafka start() {
            return new MultiNodeSecureKafka(this).start();
        }

        @Override
        Builder self() {
            return this;
        }
    }
}
