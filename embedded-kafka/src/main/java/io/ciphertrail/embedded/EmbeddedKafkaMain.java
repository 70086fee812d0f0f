package io.ciphertrail.embedded;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs {@link EmbeddedSecureKafka} as its own process, for benchmarks and tools that must not share a
 * JVM with the broker. Writes {@code <dir>/clients/<identity>.properties} for each {@code --client},
 * prints {@code READY <bootstrap>} once it serves clients, and stops cleanly on SIGTERM or Ctrl-C.
 *
 * <pre>
 * java -cp ... io.ciphertrail.embedded.EmbeddedKafkaMain --dir /tmp/kafka [--port 9093] [--plaintext]
 *      [--authorizer CLASS] [--client NAME]...
 * </pre>
 */
public final class EmbeddedKafkaMain {
    private EmbeddedKafkaMain() {
    }

    public static void main(String[] args) throws InterruptedException {
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
        System.exit(2);
    }
}
