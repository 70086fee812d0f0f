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

/**
 * {@code ciphertrail.kms.type=local}: AES-256 KEKs in a password-protected PKCS12 file. For
 * development, single hosts and tests; production keeps KEKs in an HSM ({@code pkcs11}) or a cloud KMS.
 */
public final class LocalKmsProvider implements KmsProvider {
    public static final String KEYSTORE_PATH_CONFIG = "ciphertrail.kms.local.keystore.path";
    public static final String PASSWORD_ENV_CONFIG = "ciphertrail.kms.local.password.env";
    public static final String PASSWORD_FILE_CONFIG = "ciphertrail.kms.local.password.file";
    public static final String AUTO_CREATE_CONFIG = "ciphertrail.kms.local.auto.create.keks";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(KEYSTORE_PATH_CONFIG, Type.STRING, ".ciphertrail/kms/keks.p12", Importance.HIGH,
                    "PKCS12 file holding the KEKs (owner-only; created on first key creation).")
            .define(PASSWORD_ENV_CONFIG, Type.STRING, "CIPHERTRAIL_KMS_PASSWORD", Importance.HIGH,
                    "Environment variable holding the key store password (used unless " + PASSWORD_FILE_CONFIG + " is set).")
            .define(PASSWORD_FILE_CONFIG, Type.STRING, "", Importance.HIGH,
                    "Owner-only file holding the key store password; takes precedence over the environment variable.")
            .define(AUTO_CREATE_CONFIG, Type.BOOLEAN, false, Importance.LOW,
                    "Create a topic's KEK on first use instead of failing. For development only: in production a"
                            + " missing key should stop the producer, not silently mint one.");

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
        AbstractConfig config = new AbstractConfig(CONFIG, configs, false);
        return new KeyStoreKms(store(config), Runnable::run, config.getBoolean(AUTO_CREATE_CONFIG));
    }

    @Override
    public KmsAdmin createAdmin(Map<String, ?> configs) {
        return new KeyStoreKms(store(new AbstractConfig(CONFIG, configs, false)), Runnable::run, false);
    }

    private static LocalKekStore store(AbstractConfig config) {
        char[] password = SecretSource.read(PASSWORD_FILE_CONFIG, config.getString(PASSWORD_FILE_CONFIG),
                PASSWORD_ENV_CONFIG, config.getString(PASSWORD_ENV_CONFIG));
        return new LocalKekStore(Path.of(config.getString(KEYSTORE_PATH_CONFIG)), password, PASSWORD_FILE_CONFIG + " / " + PASSWORD_ENV_CONFIG);
    }
}
