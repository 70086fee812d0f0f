package io.ciphertrail.faults;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.core.pki.TlsFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** A local KMS (a KEK key store and its owner-only password file) shared by the producers and consumers of a run. */
public final class LocalKeys {
    private final Path keyStore;
    private final Path passwordFile;

    private LocalKeys(Path keyStore, Path passwordFile) {
        this.keyStore = keyStore;
        this.passwordFile = passwordFile;
    }

    /** A new, empty KMS in {@code directory}: its password file and its KEK store, as a new deployment makes them. */
    public static LocalKeys create(Path directory) {
        Path password = directory.resolve("password");
        SecureFiles.writeOwnerOnly(password, TlsFiles.newPassword().getBytes(StandardCharsets.US_ASCII));
        LocalKeys keys = new LocalKeys(directory.resolve("keks.p12"), password);
        KmsConfig.initialize(keys.settings());
        return keys;
    }

    /** The {@code ciphertrail.kms.*} client settings for this KMS. */
    public Map<String, Object> settings() {
        return Map.of(KmsConfig.TYPE_CONFIG, "local",
                LocalKmsProvider.KEYSTORE_PATH_CONFIG, keyStore.toString(),
                LocalKmsProvider.PASSWORD_FILE_CONFIG, passwordFile.toString());
    }

    /** Creates the KEK each topic's records are encrypted under (alias {@code ciphertrail/topic/<topic>}). */
    public void createKeks(String... topics) {
        try (KmsAdmin admin = KmsConfig.admin(settings())) {
            for (String topic : topics) {
                admin.create("ciphertrail/topic/" + topic);
            }
        }
    }
}
