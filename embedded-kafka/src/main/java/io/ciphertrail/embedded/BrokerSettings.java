package io.ciphertrail.embedded;

import io.ciphertrail.core.pki.TlsFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * The broker settings of a Ciphertrail node, in one place: the single in-process node
 * ({@link EmbeddedSecureKafka}), every node of a local cluster ({@link MultiNodeSecureKafka}) and, checked
 * by a test, the nodes of {@code docker/compose.yaml}. They come in three groups:
 * <ul>
 *   <li>{@link #platform(int)} and {@link #authorizer(String)}: what every Ciphertrail cluster sets wherever
 *       it runs (mutual TLS, no auto-created topics, replication and in-sync replicas for every topic,
 *       internal ones included). Docker sets exactly these.</li>
 *   <li>{@link #localFootprint()}: a small node for a laptop or a test (fewer threads and partitions).</li>
 *   <li>{@link #fastFailover()}: failure detection in seconds, for clusters whose nodes are killed on purpose.</li>
 * </ul>
 * Then {@link #node(int)} puts one node's full configuration together: identity, quorum, listeners,
 * key stores, super users, and the caller's overrides last.
 */
public final class BrokerSettings {
    /** {@code User:<CN>}: the certificate's common name is the Kafka principal. */
    public static final String PRINCIPAL_MAPPING_RULES = "RULE:^CN=([^,]+),.*$/$1/,DEFAULT";
    /** The authorizer every Ciphertrail deployment runs on every node. */
    public static final String SECURE_TRANSPORT_AUTHORIZER = "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer";
    /** Clients connect by this name, so node certificates carry it for hostname verification. */
    static final String CLIENT_HOST = "localhost";
    /** Node-to-node listeners use the loopback address, which node certificates always carry. */
    static final String INTERNAL_HOST = "127.0.0.1";

    private final int nodeId;
    private final Map<Integer, Integer> controllerPorts = new TreeMap<>();
    private Map<ListenerName, Integer> ports = Map.of();
    private TlsFiles tls;
    private String engineFactory;
    private long reloadCheckIntervalMs;
    private final Set<String> superUsers = new LinkedHashSet<>();
    private String authorizer;
    private Path dataDirectory;
    private final Map<String, String> overrides = new LinkedHashMap<>();

    private BrokerSettings(int nodeId) {
        this.nodeId = nodeId;
    }

    /**
     * Settings every Ciphertrail cluster of {@code nodes} combined broker and controller nodes has: every
     * listener mutual TLS 1.3/1.2 with hostname verification, principals from certificate names, no
     * auto-created topics, and every topic (offsets, transactions, share-group state, and the platform's
     * and users' topics by default) on {@code min(nodes, 3)} replicas with one fewer required in sync, so
     * that losing one node loses no acknowledged record and stops no producer.
     */
    public static Map<String, String> platform(int nodes) {
        if (nodes < 1) {
            throw new IllegalArgumentException("A cluster has at least one node, got " + nodes);
        }
        String replicas = String.valueOf(replicationFactor(nodes));
        String inSync = String.valueOf(minInSyncReplicas(nodes));
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("process.roles", "broker,controller");
        settings.put("ssl.client.auth", "required");
        settings.put("ssl.enabled.protocols", "TLSv1.3,TLSv1.2");
        settings.put("ssl.endpoint.identification.algorithm", "https");
        settings.put("ssl.keystore.type", "PKCS12");
        settings.put("ssl.truststore.type", "PKCS12");
        settings.put("ssl.principal.mapping.rules", PRINCIPAL_MAPPING_RULES);
        settings.put("auto.create.topics.enable", "false");
        settings.put("unclean.leader.election.enable", "false");
        settings.put("default.replication.factor", replicas);
        settings.put("min.insync.replicas", inSync);
        settings.put("offsets.topic.replication.factor", replicas);
        settings.put("transaction.state.log.replication.factor", replicas);
        settings.put("transaction.state.log.min.isr", inSync);
        settings.put("share.coordinator.state.topic.replication.factor", replicas);
        settings.put("share.coordinator.state.topic.min.isr", inSync);
        settings.put("group.initial.rebalance.delay.ms", "0");
        return settings;
    }

    /** Replicas of every topic in a cluster of {@code nodes}: three where there are three nodes or more. */
    public static int replicationFactor(int nodes) {
        return Math.min(nodes, 3);
    }

    /** In-sync replicas a write needs: all but one, so one node may fail (one on a single node). */
    public static int minInSyncReplicas(int nodes) {
        return Math.max(1, replicationFactor(nodes) - 1);
    }

    /**
     * The authorizer's settings: {@code authorizer.class.name}, no access where no ACL grants it, and, for
     * the {@link #SECURE_TRANSPORT_AUTHORIZER}, {@code STRICT} mode (every insecure request denied).
     */
    public static Map<String, String> authorizer(String className) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("authorizer.class.name", className);
        settings.put("allow.everyone.if.no.acl.found", "false");
        if (SECURE_TRANSPORT_AUTHORIZER.equals(className)) {
            settings.put("ciphertrail.authorizer.mode", "STRICT");
        }
        return settings;
    }

    /**
     * A small node on one machine: internal topics with one partition, few threads, a 2 MiB log cleaner
     * buffer (the default takes 128 MiB), and queues that start within a second (a share-group member learns
     * its assignment from a heartbeat: every 0.5 s instead of 5 s). Not for production: docker/ keeps
     * Kafka's defaults.
     */
    public static Map<String, String> localFootprint() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("num.partitions", "1");
        settings.put("offsets.topic.num.partitions", "1");
        settings.put("transaction.state.log.num.partitions", "1");
        settings.put("share.coordinator.state.topic.num.partitions", "1");
        settings.put("log.cleaner.dedupe.buffer.size", "2097152");
        settings.put("num.network.threads", "2");
        settings.put("num.io.threads", "2");
        settings.put("background.threads", "2");
        settings.put("num.recovery.threads.per.data.dir", "1");
        settings.put("group.share.min.heartbeat.interval.ms", "500");
        settings.put("group.share.heartbeat.interval.ms", "500");
        settings.put("group.share.assignment.interval.ms", "100");
        return settings;
    }

    /**
     * Failure detection in seconds rather than tens of seconds, for a local cluster whose nodes are killed,
     * frozen and restarted on purpose: a node that misses heartbeats for 4 s is fenced (its partitions get
     * new leaders), a replica 5 s behind leaves the in-sync set, leadership returns to preferred replicas
     * within 5 s of a restart, and a dead transactional producer's open transaction is aborted within
     * a second of its timeout. Production clusters keep Kafka's more patient defaults.
     */
    public static Map<String, String> fastFailover() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("broker.heartbeat.interval.ms", "500");
        settings.put("broker.session.timeout.ms", "4000");
        settings.put("controller.socket.timeout.ms", "5000");
        settings.put("replica.lag.time.max.ms", "5000");
        settings.put("replica.socket.timeout.ms", "5000");
        settings.put("leader.imbalance.check.interval.seconds", "5");
        settings.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
        return settings;
    }

    /** One node's configuration, put together by the setters below. */
    static BrokerSettings node(int nodeId) {
        return new BrokerSettings(nodeId);
    }

    /** The controller quorum: every node's id and controller port (every node is a voter). */
    BrokerSettings quorum(Map<Integer, Integer> controllerPortsByNode) {
        controllerPorts.putAll(controllerPortsByNode);
        return this;
    }

    /** This node's listeners and their ports. */
    BrokerSettings listeners(Map<ListenerName, Integer> listenerPorts) {
        this.ports = Map.copyOf(listenerPorts);
        return this;
    }

    /** This node's key and trust stores, used on every listener and for its own connections. */
    BrokerSettings tls(TlsFiles files) {
        this.tls = files;
        return this;
    }

    /**
     * Every TLS listener and the node's own clients make their engines with {@code engineFactory} (a Kafka
     * {@code ssl.engine.factory.class} that reloads changed store files when a connection opens, checking at most every
     * {@code checkIntervalMs}), so a renewed certificate is picked up without a restart and without dynamic configuration.
     */
    BrokerSettings reloadingTls(String engineFactory, long checkIntervalMs) {
        this.engineFactory = engineFactory;
        this.reloadCheckIntervalMs = checkIntervalMs;
        return this;
    }

    BrokerSettings superUsers(Iterable<String> principals) {
        principals.forEach(superUsers::add);
        return this;
    }

    /** {@code authorizer.class.name}, or null for none. */
    BrokerSettings authorizerClass(String className) {
        this.authorizer = className;
        return this;
    }

    BrokerSettings dataDirectory(Path directory) {
        this.dataDirectory = directory;
        return this;
    }

    /** Any setting, applied last. */
    BrokerSettings overrides(Map<String, String> settings) {
        overrides.putAll(settings);
        return this;
    }

    Map<String, String> toMap() {
        int nodes = controllerPorts.size();
        Map<String, String> props = new LinkedHashMap<>();
        props.putAll(platform(nodes));
        props.putAll(localFootprint());
        if (nodes > 1) {
            props.putAll(fastFailover());
        }
        props.put("node.id", String.valueOf(nodeId));
        props.put("controller.quorum.voters", controllerPorts.entrySet().stream()
                .map(e -> e.getKey() + "@" + INTERNAL_HOST + ":" + e.getValue())
                .collect(Collectors.joining(",")));
        props.put("controller.listener.names", ListenerName.CONTROLLER.name());
        props.put("inter.broker.listener.name", ListenerName.INTERNAL.name());
        List<ListenerName> listeners = ports.keySet().stream().sorted().toList();
        props.put("listeners", listeners.stream().map(this::address).collect(Collectors.joining(",")));
        props.put("advertised.listeners", listeners.stream()
                .filter(l -> l != ListenerName.CONTROLLER).map(this::address).collect(Collectors.joining(",")));
        props.put("listener.security.protocol.map", listeners.stream()
                .map(l -> l + ":" + (l == ListenerName.PLAINTEXT ? SecurityProtocol.PLAINTEXT : SecurityProtocol.SSL))
                .collect(Collectors.joining(",")));
        // Mutual TLS everywhere, including the node's own connections to its peers and controllers.
        tls.kafkaSslProperties().forEach((key, value) -> props.put(key, value.toString()));
        if (engineFactory != null) {
            props.put("ssl.engine.factory.class", engineFactory);
            props.put("ciphertrail.tls.reload.check.interval.ms", String.valueOf(reloadCheckIntervalMs));
        }
        props.put("super.users", String.join(";", superUsers));
        if (authorizer != null) {
            props.putAll(authorizer(authorizer));
        }
        props.put("log.dirs", dataDirectory.toString());
        props.putAll(overrides);
        return props;
    }

    private String address(ListenerName listener) {
        return listener + "://" + host(listener) + ":" + ports.get(listener);
    }

    /** Client listeners answer on {@link #CLIENT_HOST}; node-to-node ones on the loopback address. */
    static String host(ListenerName listener) {
        return listener == ListenerName.SSL || listener == ListenerName.PLAINTEXT ? CLIENT_HOST : INTERNAL_HOST;
    }
}
