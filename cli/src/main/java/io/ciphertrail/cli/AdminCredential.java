package io.ciphertrail.cli;

import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.embedded.ClientIdentities;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.config.SslConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The administrator's certificate: the operator's credential, kept in an owner-only key store file as a kubeconfig
 * is, because the CLI's commands are separate processes that each need it at once (no process lives long enough to
 * renew in memory, and the administrator is who makes the bootstrap tokens, so it cannot bootstrap from one). Its
 * lifetime is bounded instead: {@link #LIFETIME}, replaced by {@code up} at start once past half of it (and by
 * {@code ciphertrail certs renew}), keeping its store password so copied client files stay right.
 */
final class AdminCredential {
    /** A stolen administrator key store is worth a week at most. */
    static final Duration LIFETIME = Duration.ofDays(7);
    private static final Logger LOG = LoggerFactory.getLogger(AdminCredential.class);

    private AdminCredential() {
    }

    /**
     * Replaces the administrator's certificate when it lives longer than {@link #LIFETIME} (one issued before the bound)
     * or has less than half of it left.
     *
     * @param adminSettings the administrator's client settings (its key store and password)
     */
    static void keepBounded(CertificateAuthority ca, Map<String, Object> adminSettings) {
        Path keyStore = Path.of(adminSettings.get(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG).toString());
        char[] password = adminSettings.get(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG).toString().toCharArray();
        X509Certificate certificate = KeyStores.readKeyStore(keyStore, password).certificate();
        Instant notAfter = certificate.getNotAfter().toInstant();
        Duration lifetime = Duration.between(certificate.getNotBefore().toInstant(), notAfter);
        Duration left = Duration.between(Instant.now(), notAfter);
        if (lifetime.compareTo(LIFETIME.plusHours(1)) > 0 || left.compareTo(LIFETIME.dividedBy(2)) < 0) {
            ClientIdentities.renew(ca, keyStore.getParent().getParent(), LocalPlatform.ADMIN, LIFETIME);
            LOG.info("Issued a new {}-day certificate for {} in {} (the previous one was valid until {})", LIFETIME.toDays(),
                    LocalPlatform.ADMIN, keyStore, notAfter);
        }
    }
}
