package io.ciphertrail.core.tls;

import io.ciphertrail.core.identity.IdentityConfig;
import io.ciphertrail.core.identity.IdentityMaterial;
import io.ciphertrail.core.identity.WorkloadIdentities;
import io.ciphertrail.core.identity.WorkloadIdentity;
import io.ciphertrail.core.pki.CertificateInfo;
import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.core.pki.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.types.Password;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate a client presents: its workload identity's current one ({@code ciphertrail.identity.*}), or the one
 * read from its {@code ssl.keystore.*} settings (PKCS12, JKS or PEM), re-read when the file changes so a renewed
 * certificate is seen. Reports the time left and warns once per certificate from a file when fewer than
 * {@code ciphertrail.tls.expiry.warning.days} remain (an identity's renewals are reported by the identity itself).
 */
public final class ClientCertificate {
    private static final Logger LOG = LoggerFactory.getLogger(ClientCertificate.class);

    private final Map<String, ?> configs;
    private final int warningDays;
    private final Clock clock;
    private StoreFingerprint fingerprint;
    private X509Certificate certificate;
    private String warned;

    public ClientCertificate(Map<String, ?> configs, Clock clock) {
        this.configs = configs;
        Object warning = configs.get(TlsConfig.EXPIRY_WARNING_DAYS_CONFIG);
        this.warningDays = warning == null ? TlsConfig.EXPIRY_WARNING_DAYS_DEFAULT : Integer.parseInt(warning.toString());
        this.clock = clock;
    }

    /** Seconds until the client certificate expires (negative once expired); NaN when there is none or it cannot be read. */
    public synchronized double secondsLeft() {
        return current().map(certificate -> (double) Duration.between(Instant.now(clock), certificate.getNotAfter().toInstant()).toSeconds())
                .orElse(Double.NaN);
    }

    /** Renewals of the workload identity so far; 0 for a certificate from a file. */
    public long renewals() {
        return WorkloadIdentities.find(configs).map(WorkloadIdentity::renewals).orElse(0L);
    }

    /** Failed attempts to renew the workload identity's certificate; 0 for a certificate from a file. */
    public long renewalFailures() {
        return WorkloadIdentities.find(configs).map(WorkloadIdentity::renewalFailures).orElse(0L);
    }

    /** Days until the client certificate expires (negative once expired); NaN when there is none or it cannot be read. */
    public synchronized double daysLeft() {
        Optional<X509Certificate> current = current();
        if (current.isEmpty()) {
            return Double.NaN;
        }
        CertificateInfo info = CertificateInfo.of(current.get());
        Instant now = Instant.now(clock);
        long days = info.daysLeft(now);
        if (info.expiresSoon(now, warningDays) && !info.serialHex().equals(warned) && !IdentityConfig.isConfigured(configs)) {
            warned = info.serialHex();
            LOG.warn("TLS client certificate {} (serial {}) expires in {}, at {}; renew it before then"
                    + " (a renewed file is picked up without a restart)", info.subject(), info.serialHex(), info.timeLeft(now), info.notAfter());
        }
        return days;
    }

    /** The certificate now configured, if any can be read. */
    public synchronized Optional<X509Certificate> current() {
        if (IdentityConfig.isConfigured(configs)) {
            return WorkloadIdentities.find(configs).flatMap(WorkloadIdentity::current).map(IdentityMaterial::certificate);
        }
        try {
            String location = text(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG);
            if (location == null) {
                String chain = text(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG);
                return chain == null ? Optional.empty() : Optional.of(Pem.decodeCertificates(chain, SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG).get(0));
            }
            Path file = Path.of(location);
            if (!Files.isReadable(file)) {
                return Optional.empty();
            }
            StoreFingerprint latest = StoreFingerprint.of(List.of(file));
            if (fingerprint == null || !latest.sameAs(fingerprint)) {
                certificate = read(file);
                fingerprint = latest;
            }
            return Optional.ofNullable(certificate);
        } catch (RuntimeException e) {
            LOG.debug("Cannot read the client certificate: {}", e.getMessage());
            return Optional.empty();
        }
    }

    private X509Certificate read(Path file) {
        String type = text(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG);
        if ("PEM".equalsIgnoreCase(type)) {
            return Pem.readCertificates(file).get(0);
        }
        String password = text(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG);
        KeyStore store = KeyStores.load(file, password == null ? null : password.toCharArray());
        return ReloadingSslEngineFactory.leafCertificate(store).orElse(null);
    }

    private String text(String key) {
        Object value = configs.get(key);
        if (value instanceof Password password) {
            return password.value();
        }
        return value == null || value.toString().isBlank() ? null : value.toString();
    }
}
