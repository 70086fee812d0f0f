package io.ciphertrail.trust;

import io.ciphertrail.core.io.ServiceMain;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.trust.audit.AuditTrail;
import io.ciphertrail.trust.audit.IdentityAudit;
import io.ciphertrail.trust.audit.KeyUseAudit;
import io.ciphertrail.trust.ca.CaKeys;
import io.ciphertrail.trust.ca.ServiceIdentity;
import io.ciphertrail.trust.ca.WorkloadCa;
import io.ciphertrail.core.identity.WorkloadIdentity;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.trust.http.PrincipalMapper;
import io.ciphertrail.trust.http.TrustMetrics;
import io.ciphertrail.trust.http.TrustServer;
import io.ciphertrail.trust.keys.KeyService;
import io.ciphertrail.trust.policy.KeyPolicySource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SslConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ciphertrail trust service: the key service and, when a CA key is configured, the workload CA. Stateless apart
 * from its backend KMS and the CA's ledger topic, so several instances over one shared backend (an HSM) and one
 * cluster serve the same clients.
 *
 * <pre>
 * java -jar ciphertrail-trust-service-all.jar trust.properties
 * </pre>
 *
 * Everything wrong with the settings (TLS identity, backend, key policy, CA) is reported before it listens.
 */
public final class TrustService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrustService.class);

    private final TrustServer server;
    private final AuditTrail audit;
    private final Kms kms;
    private final KmsAdmin admin;
    private final WorkloadCa ca;
    private final ServiceIdentity own;

    /** The listeners' engine factories: closed with the service, so its own identity has no user left and stops renewing. */
    private final List<ReloadingSslEngineFactory> engines;

    private TrustService(TrustServer server, AuditTrail audit, Kms kms, KmsAdmin admin, WorkloadCa ca, ServiceIdentity own,
                         List<ReloadingSslEngineFactory> engines) {
        this.engines = engines;
        this.server = server;
        this.audit = audit;
        this.kms = kms;
        this.admin = admin;
        this.ca = ca;
        this.own = own;
    }

    /** Checks the settings, opens the backend, the key policy and the CA, and starts listening. */
    public static TrustService start(Map<String, ?> settings) {
        TrustServiceConfig config = new TrustServiceConfig(settings);
        Object keyStore = settings.get(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG);
        boolean runsCa = config.caKeySource() != TrustServiceConfig.CaKeySource.NONE;
        boolean ownIdentity = keyStore == null || keyStore.toString().isBlank();
        if (ownIdentity && !runsCa) {
            throw new ConfigException(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, null,
                    "the trust service needs its own TLS identity: a key store with a server certificate for the names clients use,"
                            + " or the CA (" + TrustServiceConfig.CA_KEY_SOURCE_CONFIG + "), which then issues it a short-lived one");
        }
        Map<String, Object> backend = config.backendSettings();
        if ("remote".equals(String.valueOf(backend.get(KmsConfig.TYPE_CONFIG)).trim())) {
            throw new ConfigException(KmsConfig.TYPE_CONFIG, "remote", "the key service fronts the KMS that holds the KEKs:"
                    + " set it to local or pkcs11");
        }
        if (runsCa && !config.publishesAudit()) {
            throw new ConfigException(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, null, "the workload CA keeps bootstrap tokens and"
                    + " barred identities in a ledger topic shared by every instance (" + TrustServiceConfig.CA_LEDGER_TOPIC_CONFIG
                    + "): set bootstrap.servers, or " + TrustServiceConfig.CA_KEY_SOURCE_CONFIG + "=NONE for a key service only");
        }
        CertificateAuthority caKey = runsCa ? CaKeys.open(config, config.caKeySource()) : null;
        ServiceIdentity own = ownIdentity ? ServiceIdentity.start(config, caKey, settings) : null;
        try {
            return start(own == null ? settings : own.settings(), caKey, own);
        } catch (RuntimeException e) {
            if (own != null) {
                own.close();
            }
            throw e;
        }
    }

    private static TrustService start(Map<String, ?> settings, CertificateAuthority caKey, ServiceIdentity own) {
        TrustServiceConfig config = new TrustServiceConfig(settings);
        boolean runsCa = caKey != null;
        ReloadingSslEngineFactory tls = ReloadingSslEngineFactory.fromSettings(settings, true);
        ReloadingSslEngineFactory bootstrapTls = runsCa ? ReloadingSslEngineFactory.serverWithoutClientCertificates(settings) : null;
        Map<String, Object> backend = config.backendSettings();
        KeyPolicySource policy = new KeyPolicySource(Path.of(config.getString(TrustServiceConfig.KEY_POLICY_FILE_CONFIG)),
                Duration.ofMillis(config.getLong(TrustServiceConfig.KEY_POLICY_CHECK_INTERVAL_MS_CONFIG)));
        Optional<Map<String, Object>> kafka = config.publishesAudit()
                ? Optional.of(TlsConfig.secureClientConfigs(config.kafkaSettings())) : Optional.empty();
        PrincipalMapper principals = new PrincipalMapper(config.getString(TrustServiceConfig.PRINCIPAL_MAPPING_RULES_CONFIG));

        Kms kms = KmsConfig.kms(backend);
        KmsAdmin admin = null;
        AuditTrail audit = null;
        WorkloadCa ca = null;
        try {
            admin = KmsConfig.admin(backend);
            String host = config.getString(TrustServiceConfig.HOST_CONFIG);
            String instance = config.getString(TrustServiceConfig.INSTANCE_ID_CONFIG);
            String name = instance.isBlank() ? host + ":" + config.getInt(TrustServiceConfig.PORT_CONFIG) : instance;
            audit = new AuditTrail(name, config.getString(TrustServiceConfig.AUDIT_TOPIC_CONFIG),
                    Duration.ofMillis(config.getLong(TrustServiceConfig.AUDIT_WINDOW_MS_CONFIG)),
                    config.getInt(TrustServiceConfig.AUDIT_MAX_AGGREGATES_CONFIG), kafka);
            KeyUseAudit keyUses = new KeyUseAudit(audit);
            IdentityAudit identities = new IdentityAudit(audit);
            if (runsCa) {
                ca = WorkloadCa.start(config, caKey, kafka.orElseThrow(), identities, name, principals::principal);
            }
            if (own != null) {
                own.auditTo(identities);
            }
            TrustMetrics metrics = metrics(policy, audit, ca);
            WorkloadCa barring = ca;
            KeyService keys = new KeyService(kms, admin, policy::current, keyUses, metrics,
                    Duration.ofMillis(config.getLong(TrustServiceConfig.KMS_TIMEOUT_MS_CONFIG)),
                    principal -> barring == null ? Optional.empty() : barring.barredPrincipal(principal));
            TrustServer server = new TrustServer(new TrustServer.Listeners(host, config.getInt(TrustServiceConfig.PORT_CONFIG),
                    config.getString(TrustServiceConfig.MANAGEMENT_HOST_CONFIG), config.getInt(TrustServiceConfig.MANAGEMENT_PORT_CONFIG),
                    config.getLong(TrustServiceConfig.IDLE_TIMEOUT_MS_CONFIG), config.getInt(TrustServiceConfig.REQUEST_MAX_BYTES_CONFIG),
                    config.getLong(TrustServiceConfig.RATE_LIMIT_PER_SECOND_CONFIG), config.getLong(TrustServiceConfig.RATE_LIMIT_BURST_CONFIG),
                    config.getString(TrustServiceConfig.PRINCIPAL_MAPPING_RULES_CONFIG),
                    config.getString(TrustServiceConfig.BOOTSTRAP_HOST_CONFIG), config.getInt(TrustServiceConfig.BOOTSTRAP_PORT_CONFIG),
                    config.getLong(TrustServiceConfig.BOOTSTRAP_RATE_LIMIT_PER_SECOND_CONFIG),
                    config.getLong(TrustServiceConfig.BOOTSTRAP_RATE_LIMIT_BURST_CONFIG)),
                    tls, bootstrapTls, keys, ca, principals,
                    metrics, () -> health(policy, barring));
            if (instance.isBlank()) {
                audit.instance(host + ":" + server.port());
            }
            LOG.info("Trust service listening on https://{}:{} (mutual TLS){}{}; KEKs in {}; key policy {}", host, server.port(),
                    server.bootstrapPort() < 0 ? "" : ", bootstrap on https://" + config.getString(TrustServiceConfig.BOOTSTRAP_HOST_CONFIG)
                            + ":" + server.bootstrapPort() + " (server-authenticated, first certificates only)",
                    server.managementPort() < 0 ? "" : ", health and metrics on http://" + config.getString(TrustServiceConfig.MANAGEMENT_HOST_CONFIG)
                            + ":" + server.managementPort(), kms, policy.file());
            return new TrustService(server, audit, kms, admin, ca, own, bootstrapTls == null ? List.of(tls) : List.of(tls, bootstrapTls));
        } catch (RuntimeException e) {
            if (ca != null) {
                ca.close();
            }
            if (audit != null) {
                audit.close();
            }
            if (admin != null) {
                admin.close();
            }
            kms.close();
            tls.close();
            if (bootstrapTls != null) {
                bootstrapTls.close();
            }
            throw e;
        }
    }

    private static TrustMetrics metrics(KeyPolicySource policy, AuditTrail audit, WorkloadCa ca) {
        TrustMetrics metrics = new TrustMetrics();
        metrics.counter("ciphertrail_key_policy_reloads", "Changed key policies applied since start", policy::reloads);
        metrics.counter("ciphertrail_key_policy_reload_failures", "Changed key policies refused as invalid or unreadable", policy::failures);
        metrics.counter("ciphertrail_key_audit_events_published", "Audit events (key uses and identities) the audit topic acknowledged",
                audit::eventsPublished);
        metrics.counter("ciphertrail_key_audit_events_failed", "Audit events that could not be published (they were logged)", audit::eventsFailed);
        metrics.counter("ciphertrail_key_audit_operations_dropped", "Operations counted in no audit event (aggregation table full)",
                audit::operationsDropped);
        if (ca != null) {
            metrics.counter("ciphertrail_certificates_issued", "Workload certificates the CA issued", ca::issued);
            metrics.counter("ciphertrail_certificate_refusals", "Certificate requests, tokens and bars the CA refused", ca::refused);
            metrics.counter("ciphertrail_identity_ledger_rejected", "Ledger records ignored as not signed by a CA of the trust bundle",
                    ca.ledger()::rejected);
            metrics.counter("ciphertrail_trust_bundle_reloads", "Changed trust bundles put in force", ca.bundle()::reloads);
            metrics.counter("ciphertrail_trust_bundle_reload_failures", "Changed trust bundles refused (unreadable, or without the signing CA)",
                    ca.bundle()::failures);
        }
        return metrics;
    }

    private static String health(KeyPolicySource policy, WorkloadCa ca) {
        var current = policy.current();
        return "{\"status\":\"UP\",\"keyPolicy\":{\"rules\":" + current.rules().size() + ",\"mode\":\"" + current.mode()
                + "\",\"reloadFailures\":" + policy.failures() + "}"
                + (ca == null ? "" : ",\"ca\":{\"ledger\":\"" + (ca.ledger().ready() ? "READY" : "READING") + "\",\"bundle\":"
                        + ca.bundle().current().size() + "}") + "}\n";
    }

    public int port() {
        return server.port();
    }

    public int managementPort() {
        return server.managementPort();
    }

    /** The bootstrap port (server-authenticated, first certificates), or -1 without a CA. */
    public int bootstrapPort() {
        return server.bootstrapPort();
    }

    /** The workload CA, when this instance runs one: for the process that embeds it (the local platform). */
    public Optional<WorkloadCa> ca() {
        return Optional.ofNullable(ca);
    }

    /** Ends the current audit window now (tests, and before a planned stop). */
    public void flushAudit() {
        audit.flush();
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            if (ca != null) {
                ca.close();
            }
            audit.close();
            admin.close();
            kms.close();
            engines.forEach(ReloadingSslEngineFactory::close);
            if (own != null) {
                own.close();
            }
        }
    }

    /** The service's own identity, when the CA it hosts issues it (no key store configured). */
    public Optional<WorkloadIdentity> ownIdentity() {
        return Optional.ofNullable(own).map(ServiceIdentity::identity);
    }

    public static void main(String[] args) throws InterruptedException {
        ServiceMain.run("trust service", args, TrustService::start);
    }
}
