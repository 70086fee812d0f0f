package io.ciphertrail.core.pki;

import java.security.PublicKey;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * What a checked certificate request asks for: its subject exactly as encoded, the subject's common name,
 * the subject alternative names by kind, and the workload's public key (with a description such as
 * {@code EC P-256} or {@code RSA 3072}). Made only by {@link CertificateSigningRequest#check()}, so everything
 * here has passed the one set of rules every Ciphertrail CA applies.
 */
public record RequestedCertificate(X500Principal subject, String commonName, List<String> dnsNames, List<String> ipAddresses,
                                   List<String> uris, PublicKey publicKey, String keyDescription) {

    public RequestedCertificate {
        dnsNames = List.copyOf(dnsNames);
        ipAddresses = List.copyOf(ipAddresses);
        uris = List.copyOf(uris);
    }

    /** The subject as Kafka and {@code openssl -nameopt RFC2253} show it. */
    public String subjectName() {
        return subject.getName();
    }

    /** Whether the request asks for any subject alternative name. */
    public boolean hasAlternativeNames() {
        return !dnsNames.isEmpty() || !ipAddresses.isEmpty() || !uris.isEmpty();
    }

    /** A spec that issues exactly what was asked: this subject, these names, the given profile and validity. */
    public CertificateSpec asRequested(CertificateProfile profile) {
        CertificateSpec spec = profile == CertificateProfile.BROKER ? CertificateSpec.broker(commonName) : CertificateSpec.workload(commonName);
        return spec.subject(subject).dnsNames(dnsNames).ipAddresses(ipAddresses).uris(uris);
    }

    @Override
    public String toString() {
        return "RequestedCertificate[subject=" + subjectName() + ", dns=" + dnsNames + ", ip=" + ipAddresses + ", uri=" + uris
                + ", key=" + keyDescription + "]";
    }
}
