package io.ciphertrail.core.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;

/** Key types for certificates. EC P-256 is the default: small, fast and supported by every TLS stack Kafka clients use. */
public enum KeyAlgorithm {
    EC_P256("EC", "SHA256withECDSA"),
    RSA_3072("RSA", "SHA256withRSA");

    private final String jcaName;
    private final String signatureAlgorithm;

    KeyAlgorithm(String jcaName, String signatureAlgorithm) {
        this.jcaName = jcaName;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    public KeyPair generateKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(jcaName);
            if (this == EC_P256) {
                generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            } else {
                generator.initialize(3072, new SecureRandom());
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new PkiException("This JVM cannot generate " + this + " keys: " + e.getMessage(), e);
        }
    }

    /** The signature algorithm a key of this kind signs certificates with. */
    String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    static KeyAlgorithm of(PublicKey key) {
        return switch (key.getAlgorithm()) {
            case "EC" -> EC_P256;
            case "RSA" -> RSA_3072;
            default -> throw new PkiException("Unsupported key algorithm " + key.getAlgorithm() + "; use EC or RSA keys");
        };
    }
}
