package io.ciphertrail.core.io;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Kafka-style properties files for client settings. Written owner-only, since client settings hold
 * key store passwords.
 */
public final class PropertiesFiles {
    private PropertiesFiles() {
    }

    public static void writeOwnerOnly(Path file, String comment, Map<String, ?> settings) {
        Properties props = new Properties();
        new TreeMap<>(settings).forEach((key, value) -> props.setProperty(key, value instanceof Class<?> type ? type.getName() : String.valueOf(value)));
        StringWriter out = new StringWriter();
        try {
            props.store(out, comment);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SecureFiles.writeOwnerOnly(file, out.toString().getBytes(StandardCharsets.UTF_8));
    }

    public static Map<String, Object> read(Path file) {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        Map<String, Object> settings = new HashMap<>();
        props.forEach((key, value) -> settings.put(key.toString(), value));
        return settings;
    }
}
