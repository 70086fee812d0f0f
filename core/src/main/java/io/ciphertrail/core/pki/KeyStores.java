package io.ciphertrail.core.pki;

import io.ciphertrail.core.io.SecureFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * PKCS12 key stores (a private key with its chain) and trust stores (CA certificates), the form
 * Kafka's {@code ssl.keystore.location} and {@code ssl.truststore.location} expect. Key stores are
 * written owner-only even though they are password protected: the password is often on the same disk.
 */
public final class KeyStores {
    public static final String TYPE = "PKCS12";
    public static final String KEY_ALIAS = "ciphertrail";

    private KeyStores() {
    }

    public static void writeKeyStore(Path file, IssuedCertificate issued, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance(TYPE);
            store.load(null, null);
            store.setKeyEntry(KEY_ALIAS, issued.privateKey(), password, issued.chain().toArray(new Certificate[0]));
            SecureFiles.writeOwnerOnly(file, serialize(store, password));
        } catch (GeneralSecurityException | IOException e) {
            throw new PkiException("Cannot write the key store " + file + ": " + e.getMessage(), e);
        }
    }

    public static void writeTrustStore(Path file, List<X509Certificate> trusted, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance(TYPE);
            store.load(null, null);
            for (int i = 0; i < trusted.size(); i++) {
                store.setCertificateEntry("ca-" + i, trusted.get(i));
            }
            SecureFiles.writePublic(file, serialize(store, password));
        } catch (GeneralSecurityException | IOException e) {
            throw new PkiException("Cannot write the trust store " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads the first private key entry and its chain. */
    public static IssuedCertificate readKeyStore(Path file, char[] password) {
        KeyStore store = load(file, password);
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    Key key = store.getKey(alias, password);
                    if (key instanceof PrivateKey privateKey) {
                        List<X509Certificate> chain = new ArrayList<>();
                        for (Certificate certificate : store.getCertificateChain(alias)) {
                            chain.add((X509Certificate) certificate);
                        }
                        return new IssuedCertificate(privateKey, chain);
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            throw new PkiException("Cannot read the private key in " + file + ": " + e.getMessage(), e);
        }
        throw new PkiException("The key store " + file + " holds no private key entry");
    }

    public static List<X509Certificate> readTrustStore(Path file, char[] password) {
        KeyStore store = load(file, password);
        List<X509Certificate> trusted = new ArrayList<>();
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isCertificateEntry(alias)) {
                    trusted.add((X509Certificate) store.getCertificate(alias));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new PkiException("Cannot read the trust store " + file + ": " + e.getMessage(), e);
        }
        return trusted;
    }

    /** Loads any key store type Kafka accepts (PKCS12, JKS); the type is taken from the file's content. */
    public static KeyStore load(Path file, char[] password) {
        try {
            return KeyStore.getInstance(file.toFile(), password);
        } catch (IOException e) {
            // A wrong password surfaces as an IOException whose cause is UnrecoverableKeyException.
            throw new PkiException("Cannot open the key store " + file + ": " + e.getMessage()
                    + ". Check that the file exists and that its password setting is right", e);
        } catch (GeneralSecurityException e) {
            throw new PkiException("Cannot open the key store " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] serialize(KeyStore store, char[] password) throws GeneralSecurityException, IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.store(out, password);
        return out.toByteArray();
    }
}
