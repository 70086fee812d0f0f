package io.ciphertrail.bench.peer;

import io.kroxylicious.proxy.KafkaProxy;
import io.kroxylicious.proxy.config.ConfigParser;
import io.kroxylicious.proxy.config.Configuration;
import io.kroxylicious.proxy.internal.config.Features;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Starts the Kroxylicious proxy from a YAML configuration through its public runtime API, prints
 * {@code KROXYLICIOUS READY} once it listens, and stops on SIGTERM. Usage: {@code KroxyliciousPeer proxy.yaml}.
 */
public final class KroxyliciousPeer {
    private KroxyliciousPeer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: KroxyliciousPeer <proxy.yaml>");
            System.exit(2);
        }
        ConfigParser parser = new ConfigParser();
        Configuration config;
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            config = parser.parseConfiguration(in);
        }
        try (KafkaProxy proxy = new KafkaProxy(parser, config, Features.defaultFeatures())) {
            proxy.startup();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    proxy.close();
                } catch (Exception e) {
                    System.err.println("Proxy shutdown failed: " + e);
                }
            }, "kroxylicious-shutdown"));
            System.out.println("KROXYLICIOUS READY");
            System.out.flush();
            proxy.block();
        }
    }
}
