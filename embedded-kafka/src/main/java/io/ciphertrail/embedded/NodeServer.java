package io.ciphertrail.embedded;

import io.ciphertrail.core.io.PropertiesFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.utils.Time;

/**
 * One KRaft node (broker and controller) running from a configuration file: the in-process node of
 * {@link EmbeddedSecureKafka}, and each node process of {@link MultiNodeSecureKafka} (through
 * {@link EmbeddedKafkaMain}). Formats the node's storage on first start only, so a kept directory keeps
 * its cluster id and its data across restarts.
 */
final class NodeServer implements AutoCloseable {
    private final KafkaRaftServer server;

    private NodeServer(KafkaRaftServer server) {
        this.server = server;
    }

    /** Writes {@code config} to {@code file}, owner-only since it holds store passwords. */
    static void writeConfig(Path file, Map<String, String> config, String comment) {
        PropertiesFiles.writeOwnerOnly(file, comment, config);
    }

    /**
     * Formats the storage of the node configured in {@code configFile} (unless already formatted) as part
     * of cluster {@code clusterId}, starts it, and returns once it has caught up with the cluster's
     * metadata and been admitted (unfenced) by the controller.
     */
    static NodeServer start(Path configFile, String clusterId) {
        Properties config = new Properties();
        config.putAll(PropertiesFiles.read(configFile));
        format(configFile, Path.of(config.getProperty("log.dirs")), clusterId);
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(config, false), Time.SYSTEM);
        NodeServer node = new NodeServer(server);
        try {
            server.startup();
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    private static void format(Path configFile, Path dataDirectory, String clusterId) {
        if (Files.exists(dataDirectory.resolve("meta.properties"))) {
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            // share.version=1 enables share groups (queues).
            exit = StorageTool.execute(new String[] {
                "format", "-t", clusterId, "-c", configFile.toString(), "--feature", "share.version=1"}, print);
        }
        if (exit != 0) {
            throw new IllegalStateException("Formatting the node storage in " + dataDirectory + " failed: "
                    + out.toString(StandardCharsets.UTF_8).trim());
        }
    }

    /** Controlled shutdown: leadership moves to the other replicas first, then the node stops. */
    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
