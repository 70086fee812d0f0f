package io.ciphertrail.core.kms.local;

import io.ciphertrail.core.kms.KeyStoreKms;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsProvider;
import io.ciphertrail.core.kms.SecretSource;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code ciphertrail.kms.type=local}: AES-256 KEKs in a password-protected PKCS12 file. For
 * development, single hosts and tests; production keeps KEKs in an HSM ({@code pkcs11}) or a cloud KMS.
 *
 * <p>The file is created only by {@link #initialize} ({@code ciphertrail keys init}) and KEKs only by the
 * operator tools ({@link #createAdmin}): a client that finds no file, or no KEK, stops with an error instead
 * of making new keys that would silently stand in for lost ones.
 */
public final class LocalKmsProvider implements KmsProvider {
    public static final String KEYSTORE_PATH_CONFIG = "ciphertrail.kms.local.keystore.path";
    public static final String PASSWORD_ENV_CONFIG = "ciphertrail.kms.local.password.env";
    public static final String PASSWORD_FILE_CONFIG = "ciphertrail.kms.local.password.file";
    /** Removed: clients never create KEKs. Still recognized, so a file that enables it is refused instead of ignored. */
    static final String REMOVED_AUTO_CREATE_CONFIG = "ciphertrail.kms.local.auto.create.keks";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(KEYSTORE_PATH_CONFIG, Type.STRING, ".ciphertrail/kms/keks.p12", Importance.HIGH,
                    "PKCS12 file holding the KEKs (owner-only). It must exist: a missing file stops the client with an"
                            + " error instead of starting an empty store; 'ciphertrail keys init' creates a new one.")
            .define(PASSWORD_ENV_CONFIG, Type.STRING, "CIPHERTRAIL_KMS_PASSWORD", Importance.HIGH,
                    "Environment variable holding the key store password (used unless " + PASSWORD_FILE_CONFIG + " is set).")
            .define(PASSWORD_FILE_CONFIG, Type.STRING, "", Importance.HIGH,
                    "Owner-only file holding the key store password; takes precedence over the environment variable.");

    @Override
    public String type() {
        return "local";
    }

    @Override
    public ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    @Override
    public Kms createKms(Map<String, ?> configs) {
        return new KeyStoreKms(store(configs), Runnable::run);
    }

    @Override
    public KmsAdmin createAdmin(Map<String, ?> configs) {
        return new KeyStoreKms(store(configs), Runnable::run);
    }

    @Override
    public String initialize(Map<String, ?> configs) {
        AbstractConfig config = new AbstractConfig(CONFIG, configs, false);
        Path file = Path.of(config.getString(KEYSTORE_PATH_CONFIG));
        LocalKekStore.createEmpty(file, password(config), KEYSTORE_PATH_CONFIG);
        return file.toAbsolutePath().toString();
    }

    private static LocalKekStore store(Map<String, ?> configs) {
        Object autoCreate = configs.get(REMOVED_AUTO_CREATE_CONFIG);
        if (autoCreate != null && Boolean.parseBoolean(autoCreate.toString().trim())) {
            throw new ConfigException(REMOVED_AUTO_CREATE_CONFIG, autoCreate, "clients never create KEKs: a key made on first"
                    + " use could silently stand in for a lost one. Remove the setting and create each topic's KEK with"
                    + " 'ciphertrail keys create <alias>'");
        }
        AbstractConfig config = new AbstractConfig(CONFIG, configs, false);
        return new LocalKekStore(Path.of(config.getString(KEYSTORE_PATH_CONFIG)), password(config),
                PASSWORD_FILE_CONFIG + " / " + PASSWORD_ENV_CONFIG, KEYSTORE_PATH_CONFIG);
    }

    private static char[] password(AbstractConfig config) {
        return SecretSource.read(PASSWORD_FILE_CONFIG, config.getString(PASSWORD_FILE_CONFIG),
                PASSWORD_ENV_CONFIG, config.getString(PASSWORD_ENV_CONFIG));
    }
}
