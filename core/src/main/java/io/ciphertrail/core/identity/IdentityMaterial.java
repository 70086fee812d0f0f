package io.ciphertrail.core.identity;

import io.ciphertrail.core.pki.CertificateInfo;
import io.ciphertrail.core.pki.Pem;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.types.Password;

/**
 * One certificate of a workload identity, as it lives in memory only: the private key generated for it, the chain
 * the trust service issued (leaf first), the trust bundle it sent along, and when it arrived. Each renewal is a new
 * generation. {@link #toString()} describes the certificate, never the key.
 */
public record IdentityMaterial(PrivateKey privateKey, List<X509Certificate> chain, List<X509Certificate> bundle, long generation,
                               Instant receivedAt) {

    public IdentityMaterial {
        chain = List.copyOf(chain);
        bundle = List.copyOf(bundle);
    }

    public X509Certificate certificate() {
        return chain.get(0);
    }

    public Instant notAfter() {
        return certificate().getNotAfter().toInstant();
    }

    public boolean validAt(Instant now) {
        return CertificateInfo.of(certificate()).validityAt(now) == CertificateInfo.Validity.VALID;
    }

    /** Time left before the certificate expires (negative once it has). */
    public Duration left(Instant now) {
        return Duration.between(now, notAfter());
    }

    public String serialHex() {
        return certificate().getSerialNumber().toString(16);
    }

    /**
     * Kafka {@code ssl.*} settings that make Kafka's own engine factory present this certificate and trust
     * {@code trusted}, from memory ({@code PEM} values, no file): they replace whatever key and trust store settings
     * {@code base} had.
     */
    public Map<String, Object> sslSettings(Map<String, ?> base, List<X509Certificate> trusted) {
        Map<String, Object> settings = withoutStores(base);
        settings.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
        settings.put(SslConfigs.SSL_KEYSTORE_KEY_CONFIG, new Password(Pem.encodePrivateKey(privateKey)));
        settings.put(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG, new Password(Pem.encodeCertificates(chain)));
        settings.putAll(trustSettings(trusted));
        return settings;
    }

    /** Settings that trust {@code trusted} from memory and present no certificate (the bootstrap call). */
    public static Map<String, Object> serverAuthOnly(Map<String, ?> base, List<X509Certificate> trusted) {
        Map<String, Object> settings = withoutStores(base);
        settings.putAll(trustSettings(trusted));
        return settings;
    }

    private static Map<String, Object> trustSettings(List<X509Certificate> trusted) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        settings.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, new Password(Pem.encodeCertificates(trusted)));
        return settings;
    }

    private static Map<String, Object> withoutStores(Map<String, ?> base) {
        Map<String, Object> settings = new HashMap<>(base);
        for (String key : List.of(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG,
                SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, SslConfigs.SSL_KEY_PASSWORD_CONFIG, SslConfigs.SSL_KEYSTORE_KEY_CONFIG,
                SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG, SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG,
                SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG,
                SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG)) {
            settings.remove(key);
        }
        return settings;
    }

    @Override
    public String toString() {
        CertificateInfo info = CertificateInfo.of(certificate());
        return "IdentityMaterial[subject=" + info.subject() + ", serial=" + info.serialHex() + ", notAfter=" + info.notAfter()
                + ", generation=" + generation + ", bundle=" + bundle.size() + " CA certificates]";
    }
}
