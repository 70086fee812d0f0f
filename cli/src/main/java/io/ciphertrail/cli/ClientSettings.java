package io.ciphertrail.cli;

import io.ciphertrail.core.io.PropertiesFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Where a command gets its Kafka client settings: {@code --config FILE} for any cluster, or the ready
 * file of an identity ({@code --as}) in the home directory that {@code ciphertrail up} wrote.
 */
final class ClientSettings {
    @Option(names = "--home", defaultValue = Home.DEFAULT, description = "Home directory of the local platform (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Kafka client properties (TLS settings, ciphertrail.kms.*) to use instead of the home directory's.")
    Path config;

    @Option(names = "--as", paramLabel = "IDENTITY", description = "Which identity's settings from the home directory to use.")
    String identity;

    Home layout() {
        return new Home(home);
    }

    /** The settings for {@code defaultIdentity} unless the user chose a file or another identity. */
    Map<String, Object> load(String defaultIdentity) {
        Path file = config != null ? config : layout().clientProperties(identity != null ? identity : defaultIdentity);
        if (!Files.isReadable(file)) {
            throw new IllegalStateException(config != null
                    ? "Cannot read " + file.toAbsolutePath()
                    : "No client settings at " + file + ". Start the platform first ('ciphertrail up' or 'ciphertrail demo'),"
                            + " or point --config at a client properties file");
        }
        return PropertiesFiles.read(file);
    }

    static void write(Path file, String identity, Map<String, Object> settings) {
        PropertiesFiles.writeOwnerOnly(file, "Ciphertrail client settings for '" + identity
                + "': mutual TLS and the local KMS. Holds store passwords: keep private", settings);
    }
}
