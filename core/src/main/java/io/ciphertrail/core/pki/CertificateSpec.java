package io.ciphertrail.core.pki;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;

/**
 * What a certificate authority is asked to issue: an identity, a profile, names, a key type and a
 * validity period. Start from {@link #broker(String)} or {@link #workload(String)}.
 */
public final class CertificateSpec {
    private final CertificateProfile profile;
    private final String commonName;
    private List<String> dnsNames = List.of();
    private List<String> ipAddresses = List.of();
    private List<String> uris = List.of();
    private X500Principal subject;
    private KeyAlgorithm keyAlgorithm = KeyAlgorithm.EC_P256;
    private Duration validity;
    private Instant notBefore;

    private CertificateSpec(CertificateProfile profile, String commonName) {
        this.profile = profile;
        this.commonName = Names.requireIdentity(commonName);
        this.validity = profile.defaultValidity();
    }

    /** A broker certificate (serverAuth and clientAuth); give it the DNS names and IPs clients connect to. */
    public static CertificateSpec broker(String commonName) {
        return new CertificateSpec(CertificateProfile.BROKER, commonName);
    }

    /** A workload client certificate (clientAuth); the identity becomes the CN and thus the Kafka principal. */
    public static CertificateSpec workload(String identity) {
        return new CertificateSpec(CertificateProfile.WORKLOAD, identity);
    }

    public CertificateSpec dnsNames(String... names) {
        this.dnsNames = List.of(names);
        return this;
    }

    public CertificateSpec dnsNames(List<String> names) {
        this.dnsNames = List.copyOf(names);
        return this;
    }

    public CertificateSpec ipAddresses(String... addresses) {
        this.ipAddresses = List.of(addresses);
        return this;
    }

    public CertificateSpec ipAddresses(List<String> addresses) {
        this.ipAddresses = List.copyOf(addresses);
        return this;
    }

    /** URIs on the certificate, e.g. a SPIFFE ID {@code spiffe://<trust-domain>/<identity>}. */
    public CertificateSpec uris(List<String> uris) {
        this.uris = List.copyOf(uris);
        return this;
    }

    /**
     * The whole subject, when it is more than {@code CN=<identity>,O=Ciphertrail} (a request signed as asked); its
     * common name must be this spec's.
     */
    public CertificateSpec subject(X500Principal subject) {
        if (!CertificateInfo.commonName(subject.getName()).equals(commonName)) {
            throw new IllegalArgumentException("Subject " + subject.getName() + " does not name " + commonName);
        }
        this.subject = subject;
        return this;
    }

    public CertificateSpec keyAlgorithm(KeyAlgorithm algorithm) {
        this.keyAlgorithm = Objects.requireNonNull(algorithm, "keyAlgorithm");
        return this;
    }

    public CertificateSpec validity(Duration validity) {
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("Certificate validity must be positive, got " + validity);
        }
        this.validity = validity;
        return this;
    }

    /** Start of validity; defaults to one minute before issuance so small clock skew between hosts does no harm. */
    public CertificateSpec notBefore(Instant notBefore) {
        this.notBefore = Objects.requireNonNull(notBefore, "notBefore");
        return this;
    }

    public CertificateProfile profile() {
        return profile;
    }

    public String commonName() {
        return commonName;
    }

    public List<String> dnsNames() {
        return dnsNames;
    }

    public List<String> ipAddresses() {
        return ipAddresses;
    }

    public List<String> uris() {
        return uris;
    }

    /** The subject the certificate gets: the one given, or {@code CN=<identity>,O=Ciphertrail}. */
    public X500Principal subject() {
        return subject != null ? subject : Names.principal(commonName);
    }

    public KeyAlgorithm keyAlgorithm() {
        return keyAlgorithm;
    }

    public Duration validity() {
        return validity;
    }

    public Optional<Instant> notBefore() {
        return Optional.ofNullable(notBefore);
    }
}
