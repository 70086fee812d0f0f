package io.ciphertrail.embedded;

import io.ciphertrail.core.io.SecureFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** Client settings as a Kafka properties file, owner-only since it holds store passwords. */
final class ClientPropertiesFile {
    private ClientPropertiesFile() {
    }

    static void write(Path file, String identity, Map<String, Object> settings) {
        Properties props = new Properties();
        new TreeMap<>(settings).forEach((key, value) -> props.setProperty(key, String.valueOf(value)));
        StringWriter out = new StringWriter();
        try {
            props.store(out, "Kafka client settings for identity '" + identity + "' (mutual TLS). Holds store passwords: keep private");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SecureFiles.writeOwnerOnly(file, out.toString().getBytes(StandardCharsets.UTF_8));
    }
}
