package io.ciphertrail.embedded;

import io.ciphertrail.core.pki.IssuedCertificate;
import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.core.pki.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.SslConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of a {@link MultiNodeSecureKafka}: a KRaft broker and controller in a JVM of its own, with its
 * own certificate ({@code CN=kafka-<id>}), data and log under {@link #directory()}. Fault tests break it on
 * purpose: {@link #kill()} (SIGKILL, no goodbye), {@link #pause()} and {@link #resume()} (SIGSTOP and
 * SIGCONT: a node frozen mid-request, as in a long GC pause or a network partition), {@link #stop()} and
 * {@link #start()} (a clean restart), and {@link #renewCertificate()} (a new key and certificate reloaded
 * while it serves).
 */
public final class ClusterNode {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final MultiNodeSecureKafka cluster;
    private final int id;
    private final Path directory;
    private final Map<ListenerName, Integer> ports;
    private final TlsFiles tls;
    private final List<String> command;
    private Process process;
    private boolean paused;

    ClusterNode(MultiNodeSecureKafka cluster, int id, Path directory, Map<ListenerName, Integer> ports, TlsFiles tls, List<String> command) {
        this.cluster = cluster;
        this.id = id;
        this.directory = directory;
        this.ports = Map.copyOf(ports);
        this.tls = tls;
        this.command = List.copyOf(command);
    }

    public int id() {
        return id;
    }

    /** The node's TLS identity and Kafka principal name ({@code User:kafka-<id>}). */
    public String identity() {
        return MultiNodeSecureKafka.nodeIdentity(id);
    }

    /** {@code host:port} of this node's mutual TLS client listener. */
    public String bootstrapServers() {
        return address(ListenerName.SSL);
    }

    /**
     * Every listener of this node by name, as {@code host:port}: {@code SSL} (clients), {@code INTERNAL}
     * (replication), {@code CONTROLLER} (the KRaft quorum), and {@code PLAINTEXT} when the cluster has one.
     */
    public Map<String, String> listeners() {
        Map<String, String> listeners = new java.util.LinkedHashMap<>();
        ports.keySet().stream().sorted().forEach(listener -> listeners.put(listener.name(), address(listener)));
        return java.util.Collections.unmodifiableMap(listeners);
    }

    /** Where the node keeps its configuration, certificate, data and {@link #log()}. */
    public Path directory() {
        return directory;
    }

    /** The node process's output (Kafka's log), kept across restarts. */
    public Path log() {
        return directory.resolve("node.log");
    }

    /** The process id of the running node. */
    public synchronized long pid() {
        requireRunning("has no process id");
        return process.pid();
    }

    /** True while the node process exists, also while it is paused. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public synchronized boolean isPaused() {
        return paused && isRunning();
    }

    /** Kills the node with SIGKILL, as a crash or a pulled plug would: no controlled shutdown, no flush. */
    public synchronized void kill() {
        requireRunning("cannot be killed");
        LOG.info("Killing node {} (SIGKILL, pid {})", id, process.pid());
        Processes.kill(process);
        paused = false;
    }

    /**
     * Freezes the node with SIGSTOP: its sockets stay open but nothing answers, like a node cut off by a
     * network partition or stuck in a long pause. Once frozen longer than {@code broker.session.timeout.ms}
     * the controller fences it and its partitions get new leaders.
     */
    public synchronized void pause() {
        requireRunning("cannot be paused");
        LOG.info("Pausing node {} (SIGSTOP, pid {})", id, process.pid());
        signal("STOP");
        paused = true;
    }

    /** Lets a paused node run on (SIGCONT); it finds itself fenced and catches up as a follower. */
    public synchronized void resume() {
        requireRunning("cannot be resumed");
        LOG.info("Resuming node {} (SIGCONT, pid {})", id, process.pid());
        signal("CONT");
        paused = false;
    }

    /**
     * Stops the node cleanly (SIGTERM: a controlled shutdown that moves its leaderships to other replicas
     * first), killing it if it has not stopped within a minute. Does nothing if it is not running.
     */
    public synchronized void stop() {
        if (!isRunning()) {
            return;
        }
        if (paused) {
            resume();
        }
        LOG.info("Stopping node {} (SIGTERM, pid {})", id, process.pid());
        Processes.stop(process, STOP_TIMEOUT);
    }

    /** Starts the node if it is not running and returns once the controller has admitted it. */
    public void start() {
        launch();
        awaitServing(MultiNodeSecureKafka.NODE_START_TIMEOUT);
    }

    /** {@link #stop()}, then {@link #start()}. */
    public void restart() {
        stop();
        start();
    }

    /**
     * Issues the node a new key and certificate (same names), writes them over its key store on disk and
     * has the node reload them through dynamic configuration ({@code listener.name.<listener>.ssl.keystore.location}
     * set again for each TLS listener, which reloads a key store changed in place). Returns once every
     * TLS listener presents the new certificate. Open connections keep working; new ones get the new
     * certificate; nothing restarts.
     */
    public X509Certificate renewCertificate() {
        IssuedCertificate renewed = cluster.certificateAuthority().issue(MultiNodeSecureKafka.nodeCertificateSpec(id));
        KeyStores.writeKeyStore(tls.keyStore(), renewed, storePassword().toCharArray());
        List<AlterConfigOp> reload = new ArrayList<>();
        for (ListenerName listener : tlsListeners()) {
            reload.add(new AlterConfigOp(new ConfigEntry("listener.name." + listener.name().toLowerCase(Locale.ROOT) + "."
                    + SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, tls.keyStore().toString()), AlterConfigOp.OpType.SET));
        }
        try (Admin admin = cluster.admin()) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(id)), reload))
                    .all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Node " + id + " refused to reload its renewed key store " + tls.keyStore()
                    + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Node " + id + " did not confirm the key store reload within 60 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while reloading node " + id + "'s key store", e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (ListenerName listener : tlsListeners()) {
            while (!presentedCertificate(listener).equals(renewed.certificate())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Node " + id + "'s " + listener + " listener still presents its old"
                            + " certificate 30 s after the reload; see " + log());
                }
                Processes.sleep(200);
            }
        }
        LOG.info("Node {} renewed its certificate (serial {}, valid until {})", id,
                renewed.certificate().getSerialNumber().toString(16), renewed.certificate().getNotAfter().toInstant());
        return renewed.certificate();
    }

    /** The certificate the node's client listener presents to a new TLS connection now. */
    public X509Certificate presentedCertificate() {
        return presentedCertificate(ListenerName.SSL);
    }

    private X509Certificate presentedCertificate(ListenerName listener) {
        return TlsProbe.presentedCertificate(cluster.clientTlsFiles(SecureKafkaCluster.ADMIN_IDENTITY), BrokerSettings.host(listener),
                ports.get(listener));
    }

    /** Starts the process without waiting for it to serve (a cluster starts its nodes side by side). */
    synchronized void launch() {
        if (isRunning()) {
            return;
        }
        try {
            Files.createDirectories(directory);
            Files.writeString(log(), System.lineSeparator() + "==== starting node " + id + System.lineSeparator(), StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                    .start();
            paused = false;
            LOG.info("Started node {} (pid {}); log: {}", id, process.pid(), log());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start node " + id + ": " + e.getMessage(), e);
        }
    }

    /** Returns once the node, asked directly on its internal listener, counts itself a live broker. */
    void awaitServing(Duration timeout) {
        Map<String, Object> admin = cluster.clientProperties(SecureKafkaCluster.ADMIN_IDENTITY);
        admin.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, address(ListenerName.INTERNAL));
        Readiness.awaitNodes(admin, Set.of(id), timeout, this::requireNotExited);
    }

    /** Throws, naming the log, if the process has ended. */
    void requireNotExited() {
        Process current;
        synchronized (this) {
            current = process;
        }
        if (current != null && !current.isAlive()) {
            throw new IllegalStateException("Node " + id + " exited with code " + current.exitValue() + "; its log: " + log()
                    + lastLines());
        }
    }

    /** {@code host:port} of one of this node's listeners. */
    String address(ListenerName listener) {
        return BrokerSettings.host(listener) + ":" + ports.get(listener);
    }

    private List<ListenerName> tlsListeners() {
        return ports.keySet().stream().filter(l -> l != ListenerName.PLAINTEXT).sorted().toList();
    }

    private String storePassword() {
        return tls.kafkaSslProperties().get(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG).toString();
    }

    private String lastLines() {
        try {
            List<String> lines = Files.readAllLines(log(), StandardCharsets.UTF_8);
            return System.lineSeparator() + String.join(System.lineSeparator(), lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private void requireRunning(String consequence) {
        if (!isRunning()) {
            throw new IllegalStateException("Node " + id + " is not running and " + consequence + "; start() it first");
        }
    }


    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot send SIG" + name + " to node " + id + " (the 'kill' command is needed): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while signalling node " + id, e);
        }
    }


    @Override
    public String toString() {
        return "node " + id + " (" + bootstrapServers() + ")";
    }
}
