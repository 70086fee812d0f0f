package io.ciphertrail.embedded;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a Ciphertrail node as its own process, in one of two ways:
 * <ul>
 *   <li>{@code --dir}: {@link EmbeddedSecureKafka}, a whole single-node cluster, for benchmarks and tools
 *       that must not share a JVM with the broker. Writes {@code <dir>/clients/<identity>.properties} for
 *       each {@code --client} and prints {@code READY <bootstrap>} once it serves clients.</li>
 *   <li>{@code --node}: one node of a {@link MultiNodeSecureKafka}, from the configuration file that
 *       cluster wrote for it. Formats the node's storage on first start, prints {@code READY node <id>}
 *       once the controller has admitted it, and, given {@code --parent-pid}, halts when that process
 *       ends, so that no node outlives the test or command that started it.</li>
 * </ul>
 * Either stops cleanly (controlled shutdown) on SIGTERM or Ctrl-C.
 *
 * <pre>
 * java -cp ... io.ciphertrail.embedded.EmbeddedKafkaMain --dir /tmp/kafka [--port 9093] [--plaintext]
 *      [--authorizer CLASS] [--client NAME]...
 * java -cp ... io.ciphertrail.embedded.EmbeddedKafkaMain --node node-1/server.properties --cluster-id ID [--parent-pid PID]
 * </pre>
 */
public final class EmbeddedKafkaMain {
    private EmbeddedKafkaMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && args[0].equals("--node")) {
            runNode(args);
            return;
        }
        EmbeddedSecureKafka.Builder builder = EmbeddedSecureKafka.builder();
        Path directory = null;
        List<String> clients = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> directory = Path.of(value(args, ++i, "--dir"));
                case "--port" -> builder.sslPort(Integer.parseInt(value(args, ++i, "--port")));
                case "--plaintext" -> builder.plaintextListener(true);
                case "--authorizer" -> builder.authorizer(value(args, ++i, "--authorizer"));
                case "--client" -> clients.add(value(args, ++i, "--client"));
                case "--broker-property" -> {
                    String property = value(args, ++i, "--broker-property");
                    int equals = property.indexOf('=');
                    if (equals <= 0) {
                        usage("--broker-property takes key=value, got: " + property);
                    }
                    builder.brokerProperty(property.substring(0, equals), property.substring(equals + 1));
                }
                default -> usage("Unknown option: " + args[i]);
            }
        }
        if (directory == null) {
            usage("--dir is required: the broker keeps its certificates and data there");
        }
        EmbeddedSecureKafka kafka = builder.directory(directory).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.close();
            stopped.countDown();
        }, "embedded-kafka-shutdown"));
        for (String client : clients) {
            kafka.writeClientProperties(client, directory.resolve("clients").resolve(client + ".properties"));
        }
        kafka.listeners().forEach((name, address) -> System.out.println("LISTENER " + name + "://" + address));
        System.out.println("READY " + kafka.bootstrapServers());
        System.out.flush();
        stopped.await();
    }

    private static void runNode(String[] args) throws InterruptedException {
        Path config = null;
        String clusterId = null;
        Long parent = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--node" -> config = Path.of(value(args, ++i, "--node"));
                case "--cluster-id" -> clusterId = value(args, ++i, "--cluster-id");
                case "--parent-pid" -> parent = Long.parseLong(value(args, ++i, "--parent-pid"));
                default -> usage("Unknown option for --node: " + args[i]);
            }
        }
        if (clusterId == null) {
            usage("--node needs --cluster-id: every node of a cluster is formatted with the same id");
        }
        if (parent != null) {
            // A node whose cluster owner died (a killed test JVM, a killed 'ciphertrail up') must not linger.
            ProcessHandle.of(parent).ifPresentOrElse(
                    owner -> owner.onExit().thenRun(() -> Runtime.getRuntime().halt(3)),
                    () -> Runtime.getRuntime().halt(3));
        }
        NodeServer node;
        try {
            node = NodeServer.start(config, clusterId);
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.err.println("The node configured in " + config + " did not start: " + e.getMessage());
            // Kafka's own threads may still run: end the process, its owner reads the exit code and this log.
            Runtime.getRuntime().halt(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "kafka-node-shutdown"));
        System.out.println("READY node " + config.getParent().getFileName());
        System.out.flush();
        stopped.await();
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            usage(option + " needs a value");
        }
        return args[index];
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: EmbeddedKafkaMain --dir DIR [--port N] [--plaintext] [--authorizer CLASS]"
                + " [--client IDENTITY]... [--broker-property KEY=VALUE]...");
        System.err.println("       EmbeddedKafkaMain --node CONFIG_FILE --cluster-id ID [--parent-pid PID]");
        System.exit(2);
    }
}
