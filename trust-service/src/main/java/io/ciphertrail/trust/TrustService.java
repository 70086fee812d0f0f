package io.ciphertrail.trust;

import io.ciphertrail.core.io.ServiceMain;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.trust.audit.KeyUseAudit;
import io.ciphertrail.trust.http.TrustMetrics;
import io.ciphertrail.trust.http.TrustServer;
import io.ciphertrail.trust.keys.KeyService;
import io.ciphertrail.trust.policy.KeyPolicySource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SslConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ciphertrail trust service: the key service, stateless apart from its backend KMS, so several
 * instances over one shared backend (an HSM) serve the same clients.
 *
 * <pre>
 * java -jar ciphertrail-trust-service-all.jar trust.properties
 * </pre>
 *
 * Everything wrong with the settings (TLS identity, backend, key policy) is reported before it listens.
 */
public final class TrustService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrustService.class);

    private final TrustServer server;
    private final KeyUseAudit audit;
    private final Kms kms;
    private final KmsAdmin admin;

    private TrustService(TrustServer server, KeyUseAudit audit, Kms kms, KmsAdmin admin) {
        this.server = server;
        this.audit = audit;
        this.kms = kms;
        this.admin = admin;
    }

    /** Checks the settings, opens the backend and the key policy, and starts listening. */
    public static TrustService start(Map<String, ?> settings) {
        TrustServiceConfig config = new TrustServiceConfig(settings);
        Object keyStore = settings.get(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG);
        if (keyStore == null || keyStore.toString().isBlank()) {
            throw new ConfigException(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, null,
                    "the trust service needs its own TLS identity: a key store with a server certificate for the names clients use");
        }
        ReloadingSslEngineFactory tls = ReloadingSslEngineFactory.fromSettings(settings, true);
        Map<String, Object> backend = config.backendSettings();
        if ("remote".equals(String.valueOf(backend.get(KmsConfig.TYPE_CONFIG)).trim())) {
            throw new ConfigException(KmsConfig.TYPE_CONFIG, "remote", "the key service fronts the KMS that holds the KEKs:"
                    + " set it to local or pkcs11");
        }
        KeyPolicySource policy = new KeyPolicySource(Path.of(config.getString(TrustServiceConfig.KEY_POLICY_FILE_CONFIG)),
                Duration.ofMillis(config.getLong(TrustServiceConfig.KEY_POLICY_CHECK_INTERVAL_MS_CONFIG)));
        Optional<Map<String, Object>> kafka = config.publishesAudit()
                ? Optional.of(TlsConfig.secureClientConfigs(config.kafkaSettings())) : Optional.empty();

        Kms kms = KmsConfig.kms(backend);
        KmsAdmin admin = null;
        KeyUseAudit audit = null;
        try {
            admin = KmsConfig.admin(backend);
            String host = config.getString(TrustServiceConfig.HOST_CONFIG);
            String instance = config.getString(TrustServiceConfig.INSTANCE_ID_CONFIG);
            audit = new KeyUseAudit(instance.isBlank() ? host + ":" + config.getInt(TrustServiceConfig.PORT_CONFIG) : instance,
                    config.getString(TrustServiceConfig.AUDIT_TOPIC_CONFIG),
                    Duration.ofMillis(config.getLong(TrustServiceConfig.AUDIT_WINDOW_MS_CONFIG)),
                    config.getInt(TrustServiceConfig.AUDIT_MAX_AGGREGATES_CONFIG), kafka);
            TrustMetrics metrics = metrics(policy, audit);
            KeyService keys = new KeyService(kms, admin, policy::current, audit, metrics,
                    Duration.ofMillis(config.getLong(TrustServiceConfig.KMS_TIMEOUT_MS_CONFIG)));
            TrustServer server = new TrustServer(new TrustServer.Listeners(host, config.getInt(TrustServiceConfig.PORT_CONFIG),
                    config.getString(TrustServiceConfig.MANAGEMENT_HOST_CONFIG), config.getInt(TrustServiceConfig.MANAGEMENT_PORT_CONFIG),
                    config.getLong(TrustServiceConfig.IDLE_TIMEOUT_MS_CONFIG), config.getInt(TrustServiceConfig.REQUEST_MAX_BYTES_CONFIG),
                    config.getLong(TrustServiceConfig.RATE_LIMIT_PER_SECOND_CONFIG), config.getLong(TrustServiceConfig.RATE_LIMIT_BURST_CONFIG),
                    config.getString(TrustServiceConfig.PRINCIPAL_MAPPING_RULES_CONFIG)),
                    tls, keys, metrics, () -> health(policy));
            if (instance.isBlank()) {
                audit.instance(host + ":" + server.port());
            }
            LOG.info("Key service listening on https://{}:{} (mutual TLS){}; KEKs in {}; key policy {}", host, server.port(),
                    server.managementPort() < 0 ? "" : ", health and metrics on http://" + config.getString(TrustServiceConfig.MANAGEMENT_HOST_CONFIG)
                            + ":" + server.managementPort(), kms, policy.file());
            return new TrustService(server, audit, kms, admin);
        } catch (RuntimeException e) {
            if (audit != null) {
                audit.close();
            }
            if (admin != null) {
                admin.close();
            }
            kms.close();
            throw e;
        }
    }

    private static TrustMetrics metrics(KeyPolicySource policy, KeyUseAudit audit) {
        TrustMetrics metrics = new TrustMetrics();
        metrics.counter("ciphertrail_key_policy_reloads", "Changed key policies applied since start", policy::reloads);
        metrics.counter("ciphertrail_key_policy_reload_failures", "Changed key policies refused as invalid or unreadable", policy::failures);
        metrics.counter("ciphertrail_key_audit_events_published", "Key-use audit events the audit topic acknowledged", audit::eventsPublished);
        metrics.counter("ciphertrail_key_audit_events_failed", "Key-use audit events that could not be published (they were logged)", audit::eventsFailed);
        metrics.counter("ciphertrail_key_audit_operations_dropped", "Key operations counted in no audit event (aggregation table full)",
                audit::operationsDropped);
        return metrics;
    }

    private static String health(KeyPolicySource policy) {
        var current = policy.current();
        return "{\"status\":\"UP\",\"keyPolicy\":{\"rules\":" + current.rules().size() + ",\"mode\":\"" + current.mode()
                + "\",\"reloadFailures\":" + policy.failures() + "}}\n";
    }

    public int port() {
        return server.port();
    }

    public int managementPort() {
        return server.managementPort();
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
            audit.close();
            admin.close();
            kms.close();
        }
    }

    public static void main(String[] args) throws InterruptedException {
        ServiceMain.run("trust service", args, TrustService::start);
    }
}
