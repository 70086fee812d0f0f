package io.ciphertrail.bench.micro;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;

/** A local KMS in a temporary directory with the KEKs the micro benchmarks use, removed on close. */
final class MicroKms implements AutoCloseable {
    static final String TOPIC = "bench-orders";

    private final Path directory;
    private final Map<String, Object> configs = new HashMap<>();

    MicroKms(boolean recordKeys) {
        try {
            directory = Files.createTempDirectory("ciphertrail-jmh-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        Path password = directory.resolve("kms-password");
        SecureFiles.writeOwnerOnly(password, HexFormat.of().formatHex(secret).getBytes(StandardCharsets.US_ASCII));
        configs.put(KmsConfig.TYPE_CONFIG, "local");
        configs.put(LocalKmsProvider.KEYSTORE_PATH_CONFIG, directory.resolve("keks.p12").toString());
        configs.put(LocalKmsProvider.PASSWORD_FILE_CONFIG, password.toString());
        KmsConfig.initialize(configs);
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            admin.create("ciphertrail/topic/" + TOPIC);
            if (recordKeys) {
                admin.create("ciphertrail/topic/" + TOPIC + "/record-key");
            }
        }
    }

    /** KMS settings plus {@code extra} key/value pairs. */
    Map<String, Object> configs(Object... extra) {
        Map<String, Object> all = new HashMap<>(configs);
        for (int i = 0; i < extra.length; i += 2) {
            all.put((String) extra[i], extra[i + 1]);
        }
        return all;
    }

    @Override
    public void close() {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temporary directory; nothing else depends on its removal
        }
    }
}
