package io.ciphertrail.trust.ca;

import io.ciphertrail.core.kms.SecretSource;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.Pkcs11Token;
import io.ciphertrail.trust.TrustServiceConfig;
import java.nio.file.Path;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigException;

/** Opens the signing CA the settings name: {@code ca.crt} and {@code ca.key} in a directory, or a key in a PKCS#11 token. */
public final class CaKeys {
    private CaKeys() {
    }

    /** The signing CA, or an error naming the setting to fix. */
    public static CertificateAuthority open(AbstractConfig config, TrustServiceConfig.CaKeySource source) {
        return switch (source) {
            case FILE -> {
                String directory = config.getString(TrustServiceConfig.CA_DIRECTORY_CONFIG);
                if (directory.isBlank()) {
                    throw new ConfigException(TrustServiceConfig.CA_DIRECTORY_CONFIG, directory,
                            "name the CA's directory (ca.crt and the owner-only ca.key, as 'ciphertrail certs init-ca' writes them)");
                }
                yield CertificateAuthority.load(Path.of(directory));
            }
            case PKCS11 -> CertificateAuthority.inToken(token(config), config.getString(TrustServiceConfig.CA_PKCS11_KEY_LABEL_CONFIG));
            case NONE -> throw new IllegalArgumentException("No CA is configured");
        };
    }

    /** The token the settings name, logged in with the PIN from its file or variable. */
    public static Pkcs11Token token(AbstractConfig config) {
        char[] pin = SecretSource.read(TrustServiceConfig.CA_PKCS11_PIN_FILE_CONFIG, config.getString(TrustServiceConfig.CA_PKCS11_PIN_FILE_CONFIG),
                TrustServiceConfig.CA_PKCS11_PIN_ENV_CONFIG, config.getString(TrustServiceConfig.CA_PKCS11_PIN_ENV_CONFIG));
        try {
            return Pkcs11Token.open(config.getString(TrustServiceConfig.CA_PKCS11_LIBRARY_CONFIG),
                    config.getInt(TrustServiceConfig.CA_PKCS11_SLOT_INDEX_CONFIG), pin,
                    TrustServiceConfig.CA_PKCS11_PIN_FILE_CONFIG + " / " + TrustServiceConfig.CA_PKCS11_PIN_ENV_CONFIG);
        } finally {
            java.util.Arrays.fill(pin, '\0');
        }
    }
}
