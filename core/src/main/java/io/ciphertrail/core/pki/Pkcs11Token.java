package io.ciphertrail.core.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;

/**
 * A PKCS#11 token (an HSM, or SoftHSM2) holding a CA's private key, reached through the JDK's SunPKCS11 provider.
 * Keys generated here are sensitive and never extractable: certificates are signed inside the token. The PIN is
 * the caller's (read from an environment variable or an owner-only file); this class never shows it.
 */
public final class Pkcs11Token implements AutoCloseable {
    private final Provider provider;
    private final KeyStore keyStore;
    private final String description;
    private final char[] pin;

    private Pkcs11Token(Provider provider, KeyStore keyStore, String description, char[] pin) {
        this.provider = provider;
        this.keyStore = keyStore;
        this.description = description;
        this.pin = pin;
    }

    /**
     * Logs in to the token in the slot at {@code slotIndex} of {@code library}.
     *
     * @param pinSource where the PIN came from, for the message when the token refuses it
     */
    public static Pkcs11Token open(String library, int slotIndex, char[] pin, String pinSource) {
        String description = "PKCS#11 token (slot index " + slotIndex + ", " + library + ")";
        String config = "--name=ciphertrail-ca\n"
                + "library=" + library + "\n"
                + "slotListIndex=" + slotIndex + "\n"
                // Generated keys start as session objects; storing one in the key store copies it to the token under
                // its label, keeping these attributes.
                + "attributes(generate,CKO_PRIVATE_KEY,CKK_EC) = {\n"
                + "  CKA_TOKEN = false\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n  CKA_SIGN = true\n}\n";
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw new PkiException("This JVM has no SunPKCS11 provider; use a JDK that includes jdk.crypto.cryptoki");
        }
        try {
            Provider provider = base.configure(config);
            KeyStore keyStore = KeyStore.getInstance("PKCS11", provider);
            keyStore.load(null, pin);
            return new Pkcs11Token(provider, keyStore, description, pin.clone());
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("CKR_PIN_INCORRECT") || e.getCause() instanceof javax.security.auth.login.LoginException) {
                throw new PkiException("The " + description + " rejected the PIN (CKR_PIN_INCORRECT, set by " + pinSource + ")", e);
            }
            throw new PkiException("Cannot open the " + description + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException | ProviderException e) {
            throw new PkiException("Cannot open the " + description + ": " + e.getMessage()
                    + ". Check the library path and slot, and that the token is initialized", e);
        }
    }

    Provider provider() {
        return provider;
    }

    boolean contains(String label) {
        try {
            return keyStore.containsAlias(label);
        } catch (GeneralSecurityException e) {
            throw new PkiException("Cannot read the " + description + ": " + e.getMessage(), e);
        }
    }

    KeyPair generateEcKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", provider);
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new PkiException("The " + description + " cannot generate EC P-256 keys: " + e.getMessage(), e);
        }
    }

    void store(String label, PrivateKey key, X509Certificate certificate) {
        try {
            keyStore.setKeyEntry(label, key, null, new Certificate[] {certificate});
        } catch (GeneralSecurityException e) {
            throw new PkiException("Cannot store the key '" + label + "' in the " + description + ": " + e.getMessage(), e);
        }
    }

    /** A private key and its certificate, as the token holds them under one label. */
    record Entry(PrivateKey privateKey, X509Certificate certificate) {
    }

    Entry entry(String label) {
        try {
            if (!keyStore.isKeyEntry(label)) {
                throw new PkiException("The " + description + " holds no key labelled '" + label + "'. Create the CA there with"
                        + " 'ciphertrail certs init-ca --pkcs11 <settings>' (or check the label)");
            }
            Certificate certificate = keyStore.getCertificate(label);
            if (!(certificate instanceof X509Certificate x509)) {
                throw new PkiException("The key '" + label + "' in the " + description + " has no X.509 certificate stored with it");
            }
            return new Entry((PrivateKey) keyStore.getKey(label, null), x509);
        } catch (GeneralSecurityException e) {
            throw new PkiException("Cannot read the key '" + label + "' in the " + description + ": " + e.getMessage(), e);
        }
    }

    /** Whether the key under {@code label} could be read out of the token (it never should: it is made non-extractable). */
    public boolean keyExtractable(String label) {
        return entry(label).privateKey().getEncoded() != null;
    }

    @Override
    public void close() {
        Arrays.fill(pin, '\0');
    }

    @Override
    public String toString() {
        return description;
    }
}
