package io.ciphertrail.core.pki;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A private key and its certificate chain (leaf first, then issuers).
 * {@link #toString()} describes the certificate and never the key.
 */
public final class IssuedCertificate {
    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;

    public IssuedCertificate(PrivateKey privateKey, List<X509Certificate> chain) {
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("A certificate chain needs at least the leaf certificate");
        }
        this.chain = List.copyOf(chain);
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** The leaf certificate. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    public CertificateInfo info() {
        return CertificateInfo.of(certificate());
    }

    @Override
    public String toString() {
        CertificateInfo info = info();
        return "IssuedCertificate[subject=" + info.subject() + ", serial=" + info.serialHex()
                + ", notAfter=" + info.notAfter() + ", chainLength=" + chain.size() + "]";
    }
}
