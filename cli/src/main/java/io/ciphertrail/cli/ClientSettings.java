package io.ciphertrail.cli;

import io.ciphertrail.core.io.PropertiesFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Option;

/**
 * Where a command gets its Kafka client settings: {@code --config FILE} for any cluster, or the ready
 * file of an identity ({@code --as}) in the home directory that {@code ciphertrail up} wrote. Settings for
 * talking to Kafka or the key service come checked: when nothing answers there, the command fails within
 * seconds saying where it looked and what to start.
 */
final class ClientSettings {
    @Option(names = "--home", defaultValue = Home.DEFAULT, description = "Home directory of the local platform (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Kafka client properties (TLS settings, ciphertrail.kms.*) to use instead of the home directory's.")
    Path config;

    @Option(names = "--as", paramLabel = "IDENTITY", description = "Which identity's settings from the home directory to use.")
    String identity;

    private final Set<String> reached = new HashSet<>();

    Home layout() {
        return new Home(home);
    }

    /** The settings for {@code defaultIdentity} unless the user chose a file or another identity. */
    Map<String, Object> load(String defaultIdentity) {
        Path file = config != null ? config : layout().clientProperties(identity != null ? identity : defaultIdentity);
        if (!Files.isReadable(file)) {
            throw new IllegalStateException(config != null
                    ? "Cannot read " + file.toAbsolutePath()
                    : "No client settings at " + file + ". Start the platform first ('ciphertrail up" + layout().argument()
                            + "' or 'ciphertrail demo" + layout().argument() + "'), or point --config at a client properties file");
        }
        return PropertiesFiles.read(file);
    }

    /** Settings for talking to Kafka, once a broker was found listening at their bootstrap servers. */
    Map<String, Object> kafka(String defaultIdentity) {
        Map<String, Object> settings = load(defaultIdentity);
        if (reached.add("kafka " + settings.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG))) {
            Reachable.brokers(settings, notRunning());
        }
        return settings;
    }

    /** Settings for the KMS; with the key service, once one of its instances was found listening. */
    Map<String, Object> kms(String defaultIdentity) {
        Map<String, Object> settings = load(defaultIdentity);
        Reachable.keyService(settings, notRunning());
        return settings;
    }

    /** What to check when nothing answers. */
    String notRunning() {
        return config != null ? "Check the addresses in " + config + " and that the cluster runs"
                : "Is the platform running? Start it with 'ciphertrail up" + layout().argument() + "'";
    }

    static void write(Path file, String identity, Map<String, Object> settings) {
        PropertiesFiles.writeOwnerOnly(file, "Ciphertrail client settings for '" + identity
                + "': mutual TLS and the local KMS. Holds store passwords: keep private", settings);
    }
}
