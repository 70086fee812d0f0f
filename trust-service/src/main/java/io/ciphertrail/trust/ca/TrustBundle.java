package io.ciphertrail.trust.ca;

import io.ciphertrail.core.pki.Pem;
import io.ciphertrail.trust.WatchedFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The CA certificates workloads and brokers should trust now, sent with every certificate the CA issues: the signing
 * CA alone, or the bundle file's certificates (during a rotation the old and the new CA), re-read when it changes. A
 * bundle must hold the signing CA, or what the CA issues would not be trusted; a change that drops it is refused and
 * the previous bundle stays.
 */
public final class TrustBundle {
    private final X509Certificate signing;
    private final WatchedFile<List<X509Certificate>> file;

    TrustBundle(X509Certificate signing, String bundleFile, Duration checkInterval) {
        this.signing = signing;
        this.file = bundleFile == null || bundleFile.isBlank() ? null : new WatchedFile<>(Path.of(bundleFile), checkInterval,
                "Trust bundle", this::parse, certificates -> certificates.size() + " CA certificates");
    }

    private List<X509Certificate> parse(byte[] content) {
        List<X509Certificate> certificates = Pem.decodeCertificates(new String(content, StandardCharsets.US_ASCII), file == null
                ? "the trust bundle" : file.file().toString());
        for (X509Certificate certificate : certificates) {
            if (certificate.getBasicConstraints() < 0) {
                throw new IllegalArgumentException("the bundle holds " + certificate.getSubjectX500Principal().getName()
                        + ", which is not a CA certificate; a bundle lists only CAs");
            }
        }
        if (!certificates.contains(signing)) {
            throw new IllegalArgumentException("the bundle does not hold the signing CA " + signing.getSubjectX500Principal().getName()
                    + " (SHA-256 " + fingerprint(signing) + "), so the certificates it issues would not be trusted; add it");
        }
        return List.copyOf(certificates);
    }

    /** The certificates to trust now; always holds the signing CA. */
    public List<X509Certificate> current() {
        return file == null ? List.of(signing) : file.current();
    }

    public String pem() {
        return Pem.encodeCertificates(current());
    }

    /** The bundle's CA certificate with this SHA-256 fingerprint (hex), if it holds one. */
    Optional<X509Certificate> byFingerprint(String fingerprint) {
        return current().stream().filter(certificate -> fingerprint(certificate).equals(fingerprint)).findFirst();
    }

    public long reloads() {
        return file == null ? 0 : file.reloads();
    }

    public long failures() {
        return file == null ? 0 : file.failures();
    }

    /** The SHA-256 of a certificate's encoding, in hexadecimal: how the ledger names the CA that signed a record. */
    static String fingerprint(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
