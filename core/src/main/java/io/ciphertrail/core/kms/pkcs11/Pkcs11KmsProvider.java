package io.ciphertrail.core.kms.pkcs11;

import io.ciphertrail.core.kms.KeyStoreKms;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsException;
import io.ciphertrail.core.kms.KmsProvider;
import io.ciphertrail.core.kms.SecretSource;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * {@code ciphertrail.kms.type=pkcs11}: KEKs inside a PKCS#11 token (an HSM, or SoftHSM2 for testing),
 * never extractable. The on-premises stand-in for a cloud HSM.
 */
public final class Pkcs11KmsProvider implements KmsProvider {
    public static final String LIBRARY_CONFIG = "ciphertrail.kms.pkcs11.library";
    public static final String SLOT_INDEX_CONFIG = "ciphertrail.kms.pkcs11.slot.index";
    public static final String PIN_ENV_CONFIG = "ciphertrail.kms.pkcs11.pin.env";
    public static final String PIN_FILE_CONFIG = "ciphertrail.kms.pkcs11.pin.file";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(LIBRARY_CONFIG, Type.STRING, "/usr/lib/softhsm/libsofthsm2.so", Importance.HIGH,
                    "Path of the token's PKCS#11 library.")
            .define(SLOT_INDEX_CONFIG, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
                    "Index of the token's slot in the library's slot list.")
            .define(PIN_ENV_CONFIG, Type.STRING, "CIPHERTRAIL_PKCS11_PIN", Importance.HIGH,
                    "Environment variable holding the token user PIN (used unless " + PIN_FILE_CONFIG + " is set).")
            .define(PIN_FILE_CONFIG, Type.STRING, "", Importance.HIGH,
                    "Owner-only file holding the token user PIN; takes precedence over the environment variable.");

    @Override
    public String type() {
        return "pkcs11";
    }

    @Override
    public ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    @Override
    public Kms createKms(Map<String, ?> configs) {
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "ciphertrail-kms-pkcs11");
            thread.setDaemon(true);
            return thread;
        });
        Pkcs11KekStore store = store(new AbstractConfig(CONFIG, configs, false));
        return new KeyStoreKms(store, executor);
    }

    @Override
    public KmsAdmin createAdmin(Map<String, ?> configs) {
        return new KeyStoreKms(store(new AbstractConfig(CONFIG, configs, false)), Runnable::run);
    }

    @Override
    public String initialize(Map<String, ?> configs) {
        throw new KmsException("A PKCS#11 token is initialized with the token's own tools (softhsm2-util --init-token,"
                + " or the HSM vendor's), not by Ciphertrail; then create its KEKs with 'ciphertrail keys create'");
    }

    private static Pkcs11KekStore store(AbstractConfig config) {
        char[] pin = SecretSource.read(PIN_FILE_CONFIG, config.getString(PIN_FILE_CONFIG), PIN_ENV_CONFIG, config.getString(PIN_ENV_CONFIG));
        return new Pkcs11KekStore(config.getString(LIBRARY_CONFIG), config.getInt(SLOT_INDEX_CONFIG), pin, PIN_FILE_CONFIG + " / " + PIN_ENV_CONFIG);
    }
}
