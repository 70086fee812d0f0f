package io.ciphertrail.core.kms.pkcs11;

import io.ciphertrail.core.kms.KekStore;
import io.ciphertrail.core.kms.KmsAccessDeniedException;
import io.ciphertrail.core.kms.KmsUnavailableException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.util.Arrays;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.security.auth.login.LoginException;

/**
 * KEKs as secret key objects in a PKCS#11 token, reached through the JDK's SunPKCS11 provider. Keys
 * are created sensitive and non-extractable: wrapping, unwrapping and derivation happen in the token.
 */
final class Pkcs11KekStore extends KekStore {
    private final Provider provider;
    private final char[] pin;
    private final String description;
    private final KeyStore keyStore;

    Pkcs11KekStore(String library, int slotIndex, char[] pin, String pinSetting) {
        this.pin = pin;
        this.description = "PKCS#11 token (slot index " + slotIndex + ", " + library + ")";
        String config = "--name=ciphertrail\n"
                + "library=" + library + "\n"
                + "slotListIndex=" + slotIndex + "\n"
                // Generated keys start as session objects; storing one in the key store copies it to the token
                // under its label, keeping these attributes.
                + "attributes(generate,CKO_SECRET_KEY,CKK_AES) = {\n"
                + "  CKA_TOKEN = false\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n"
                + "  CKA_ENCRYPT = true\n  CKA_DECRYPT = true\n}\n";
        try {
            Provider base = Security.getProvider("SunPKCS11");
            if (base == null) {
                throw new KmsUnavailableException("This JVM has no SunPKCS11 provider; use a JDK that includes jdk.crypto.cryptoki");
            }
            this.provider = base.configure(config);
            this.keyStore = KeyStore.getInstance("PKCS11", provider);
            keyStore.load(null, pin);
        } catch (IOException e) {
            if (e.getCause() instanceof LoginException || String.valueOf(e.getMessage()).contains("CKR_PIN_INCORRECT")) {
                throw new KmsAccessDeniedException("The token rejected the PIN (set by " + pinSetting + ")", e);
            }
            throw new KmsUnavailableException("Cannot open " + description + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException | java.security.ProviderException e) {
            throw new KmsUnavailableException("Cannot open " + description + ": " + e.getMessage()
                    + ". Check ciphertrail.kms.pkcs11.library and that the token is initialized", e);
        }
    }

    @Override
    protected Provider cryptoProvider() {
        return provider;
    }

    @Override
    protected KeyStore keyStore() {
        return keyStore;
    }

    @Override
    protected boolean refresh() {
        try {
            keyStore.load(null, pin);
            return true;
        } catch (IOException | GeneralSecurityException e) {
            throw new KmsUnavailableException("Cannot read " + description + ": " + e.getMessage(), e);
        }
    }

    @Override
    protected void modify(KeyStoreChange change) {
        try {
            change.apply(keyStore);
        } catch (GeneralSecurityException e) {
            throw new KmsUnavailableException("Cannot update " + description + ": " + e.getMessage(), e);
        }
    }

    @Override
    protected SecretKey newKek() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
            generator.init(256);
            return generator.generateKey();
        } catch (GeneralSecurityException e) {
            throw new KmsUnavailableException("The token cannot generate AES-256 keys: " + e.getMessage(), e);
        }
    }

    @Override
    protected KeyStore.ProtectionParameter protection() {
        return null;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void close() {
        Arrays.fill(pin, '\0');
    }
}
