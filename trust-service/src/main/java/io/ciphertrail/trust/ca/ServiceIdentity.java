package io.ciphertrail.trust.ca;

import io.ciphertrail.core.identity.CertificateIssuer;
import io.ciphertrail.core.identity.IdentityApi.CertificateRequest;
import io.ciphertrail.core.identity.IdentityApi.CertificateResponse;
import io.ciphertrail.core.identity.IdentityConfig;
import io.ciphertrail.core.identity.IdentityError;
import io.ciphertrail.core.identity.IdentityException;
import io.ciphertrail.core.identity.WorkloadIdentities;
import io.ciphertrail.core.identity.WorkloadIdentity;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateInfo;
import io.ciphertrail.core.pki.CertificateSigningRequest;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.Pem;
import io.ciphertrail.core.pki.PkiException;
import io.ciphertrail.trust.TrustServiceConfig;
import io.ciphertrail.trust.audit.IdentityAudit;
import io.ciphertrail.trust.audit.IdentityEvent;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.SslConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trust service's own TLS identity when it runs the CA and has no key store: a server certificate (serverAuth and
 * clientAuth, the names clients reach it by) that the CA it hosts issues in process, no token needed, for a key pair
 * made in memory, renewed at half life by the same {@link WorkloadIdentity} every workload uses. The HTTPS listeners
 * and the Kafka clients (audit trail, ledger) name it in their settings and present each renewed certificate on new
 * connections, without a restart. Issuances are logged, and audited as {@code SELF_ISSUE} once the audit trail runs
 * (the first certificate is what the audit trail connects with).
 */
public final class ServiceIdentity implements CertificateIssuer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceIdentity.class);

    private final CertificateAuthority ca;
    private final String name;
    private final String spiffeId;
    private final List<String> dnsNames;
    private final List<String> ipAddresses;
    private final Duration defaultLifetime;
    private final Map<String, Object> settings;
    private volatile IdentityAudit audit;
    private WorkloadIdentity identity;

    private ServiceIdentity(TrustServiceConfig config, CertificateAuthority ca, Map<String, ?> settings) {
        this.ca = ca;
        this.name = config.getString(TrustServiceConfig.IDENTITY_NAME_CONFIG).trim();
        this.spiffeId = "spiffe://" + config.getString(TrustServiceConfig.CA_TRUST_DOMAIN_CONFIG) + "/" + name;
        this.dnsNames = config.getList(TrustServiceConfig.IDENTITY_DNS_NAMES_CONFIG);
        this.ipAddresses = config.getList(TrustServiceConfig.IDENTITY_IP_ADDRESSES_CONFIG);
        this.defaultLifetime = Duration.ofMillis(config.getLong(TrustServiceConfig.CA_LIFETIME_MS_CONFIG));
        this.settings = new HashMap<>(settings);
        this.settings.put(IdentityConfig.NAME_CONFIG, name);
        long lifetime = config.getLong(TrustServiceConfig.IDENTITY_LIFETIME_MS_CONFIG);
        this.settings.put(IdentityConfig.LIFETIME_MS_CONFIG, lifetime > 0 ? lifetime : defaultLifetime.toMillis());
        if (!this.settings.containsKey(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG)
                && !this.settings.containsKey(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG)) {
            // Callers are checked against the CA the service hosts when no other trust store is set.
            this.settings.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
            this.settings.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, Pem.encodeCertificates(List.of(ca.certificate())));
        }
    }

    /**
     * Issues the first certificate now and keeps it renewed.
     *
     * @param settings the service's settings, without a key store
     */
    public static ServiceIdentity start(TrustServiceConfig config, CertificateAuthority ca, Map<String, ?> settings) {
        ServiceIdentity own = new ServiceIdentity(config, ca, settings);
        own.identity = WorkloadIdentities.acquireInProcess(own.settings, own);
        return own;
    }

    /** The service's settings with its own identity in place of a key store: for its listeners and its Kafka clients alike. */
    public Map<String, Object> settings() {
        return new HashMap<>(settings);
    }

    public WorkloadIdentity identity() {
        return identity;
    }

    /** Audits the renewals from now on (the audit trail's Kafka client needs the first certificate to exist). */
    public void auditTo(IdentityAudit audit) {
        this.audit = audit;
    }

    @Override
    public CertificateResponse issue(CertificateRequest request) {
        Duration lifetime = request.lifetimeSeconds() == null ? defaultLifetime : Duration.ofSeconds(request.lifetimeSeconds());
        try {
            CertificateSpec spec = CertificateSpec.broker(name).dnsNames(dnsNames).ipAddresses(ipAddresses)
                    .uris(List.of(spiffeId)).validity(lifetime);
            X509Certificate certificate = ca.signCsr(CertificateSigningRequest.parse(request.csr(), "the service's own request"), spec);
            CertificateInfo info = CertificateInfo.of(certificate);
            LOG.info("Issued the trust service's own certificate for {} (serial {}, valid until {}, DNS {}, IP {})", name, info.serialHex(),
                    info.notAfter(), dnsNames, ipAddresses);
            IdentityAudit trail = audit;
            if (trail != null) {
                trail.record(new IdentityEvent("User:" + name, "in-process", "SELF_ISSUE", name, spiffeId, true, "OK",
                        "issued for " + lifetime.toSeconds() + " s", info.serialHex(), info.notAfter().toEpochMilli(), "", "",
                        CertificateInfo.of(ca.certificate()).subject()));
            }
            return new CertificateResponse(name, spiffeId, info.serialHex(), info.notBefore().toEpochMilli(), info.notAfter().toEpochMilli(),
                    Pem.encodeCertificates(List.of(certificate, ca.certificate())), "");
        } catch (PkiException e) {
            throw new IdentityException(IdentityError.INTERNAL, "the CA could not issue the trust service's own certificate: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (identity != null) {
            WorkloadIdentities.release(identity);
        }
    }
}
