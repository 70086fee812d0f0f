package io.ciphertrail.trust;

import io.ciphertrail.core.kms.KmsConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.internals.BrokerSecurityConfigs;

/**
 * The trust service's settings. Besides its own {@code ciphertrail.trust.*} keys, one properties file holds:
 * the service's TLS identity as Kafka names it ({@code ssl.keystore.*}, {@code ssl.truststore.*},
 * {@code ssl.principal.mapping.rules}, exactly as on the brokers' listeners); the backend KMS
 * ({@code ciphertrail.kms.type=local} or {@code pkcs11} and their settings); and, for publishing the audit
 * trail, {@code bootstrap.servers} with any other Kafka client settings (the same identity connects).
 */
public final class TrustServiceConfig extends AbstractConfig {
    private static final String PREFIX = "ciphertrail.trust.";
    public static final String HOST_CONFIG = PREFIX + "host";
    public static final String PORT_CONFIG = PREFIX + "port";
    public static final String MANAGEMENT_HOST_CONFIG = PREFIX + "management.host";
    public static final String MANAGEMENT_PORT_CONFIG = PREFIX + "management.port";
    public static final String IDLE_TIMEOUT_MS_CONFIG = PREFIX + "idle.timeout.ms";
    public static final String REQUEST_MAX_BYTES_CONFIG = PREFIX + "request.max.bytes";
    public static final String RATE_LIMIT_PER_SECOND_CONFIG = PREFIX + "rate.limit.per.second";
    public static final String RATE_LIMIT_BURST_CONFIG = PREFIX + "rate.limit.burst";
    public static final String KMS_TIMEOUT_MS_CONFIG = PREFIX + "kms.timeout.ms";
    public static final String KEY_POLICY_FILE_CONFIG = PREFIX + "key.policy.file";
    public static final String KEY_POLICY_CHECK_INTERVAL_MS_CONFIG = PREFIX + "key.policy.check.interval.ms";
    public static final String AUDIT_TOPIC_CONFIG = PREFIX + "audit.topic";
    public static final String AUDIT_WINDOW_MS_CONFIG = PREFIX + "audit.window.ms";
    public static final String AUDIT_MAX_AGGREGATES_CONFIG = PREFIX + "audit.max.aggregates";
    public static final String INSTANCE_ID_CONFIG = PREFIX + "instance.id";
    public static final String PRINCIPAL_MAPPING_RULES_CONFIG = BrokerSecurityConfigs.SSL_PRINCIPAL_MAPPING_RULES_CONFIG;

    static final ConfigDef CONFIG = new ConfigDef()
            .define(HOST_CONFIG, Type.STRING, "127.0.0.1", Importance.HIGH,
                    "Address the API listener (HTTPS, mutual TLS required) binds to. Use 0.0.0.0 in a container.")
            .define(PORT_CONFIG, Type.INT, 8443, Range.between(0, 65535), Importance.HIGH,
                    "Port of the API listener (0 picks a free port).")
            .define(MANAGEMENT_HOST_CONFIG, Type.STRING, "127.0.0.1", Importance.LOW,
                    "Address of the plain /health and /metrics listener; keep it inside the cluster network.")
            .define(MANAGEMENT_PORT_CONFIG, Type.INT, 8444, Range.between(-1, 65535), Importance.LOW,
                    "Port of the /health and /metrics listener (0 picks a free port, -1 turns it off).")
            .define(IDLE_TIMEOUT_MS_CONFIG, Type.LONG, 30_000L, Range.atLeast(1_000), Importance.LOW,
                    "An idle connection is closed after this long.")
            .define(REQUEST_MAX_BYTES_CONFIG, Type.INT, 16 * 1024, Range.between(256, 1024 * 1024), Importance.MEDIUM,
                    "Largest request body accepted; a larger one is refused (413) before it is read.")
            .define(RATE_LIMIT_PER_SECOND_CONFIG, Type.LONG, 1_000L, Range.atLeast(1), Importance.MEDIUM,
                    "Calls per second one principal may make at one instance, on average; more are refused (429, RATE_LIMITED)"
                            + " and the client retries. A consumer needs one call per data key it has not seen, a producer one per data key it makes.")
            .define(RATE_LIMIT_BURST_CONFIG, Type.LONG, 2_000L, Range.atLeast(1), Importance.MEDIUM,
                    "Calls one principal may make at once before the average applies (a consumer's cold start).")
            .define(KMS_TIMEOUT_MS_CONFIG, Type.LONG, 5_000L, Range.atLeast(1), Importance.MEDIUM,
                    "Longest wait for the backend KMS (key store or HSM) per call; then the call fails as KMS_UNAVAILABLE.")
            .define(KEY_POLICY_FILE_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
                    "YAML key policy: which principals may ENCRYPT, DECRYPT, DERIVE or ADMIN which KEK aliases. Default deny."
                            + " Re-read while running: a valid change applies to the next call, an invalid one is refused and logged.")
            .define(KEY_POLICY_CHECK_INTERVAL_MS_CONFIG, Type.LONG, 1_000L, Range.atLeast(0), Importance.LOW,
                    "How often, at most, the key policy file is checked for changes.")
            .define(AUDIT_TOPIC_CONFIG, Type.STRING, "ciphertrail.audit", Importance.MEDIUM,
                    "Topic the key-use audit events go to (when bootstrap.servers is set); the platform's audit topic.")
            .define(AUDIT_WINDOW_MS_CONFIG, Type.LONG, 10_000L, Range.atLeast(100), Importance.MEDIUM,
                    "Length of an audit aggregation window: equal operations (principal, address, operation, alias, version,"
                            + " decision, rule, result) within it become one event with a count.")
            .define(AUDIT_MAX_AGGREGATES_CONFIG, Type.INT, 10_000, Range.atLeast(1), Importance.LOW,
                    "Most distinct audit aggregates held in one window; operations beyond it are counted in"
                            + " ciphertrail_key_audit_operations_dropped_total instead.")
            .define(INSTANCE_ID_CONFIG, Type.STRING, "", Importance.LOW,
                    "This instance's name in audit events (source crn:///trust-service=<id>); default host:port.")
            .define(PRINCIPAL_MAPPING_RULES_CONFIG, Type.STRING, "DEFAULT", Importance.HIGH,
                    "How a client certificate's subject becomes a principal, exactly as on the brokers (Kafka's"
                            + " ssl.principal.mapping.rules), e.g. RULE:^CN=([^,]+),.*$/$1/,DEFAULT gives User:orders-service.");

    public TrustServiceConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
    }

    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    /** The backend KMS's settings ({@code ciphertrail.kms.*}). */
    Map<String, Object> backendSettings() {
        Map<String, Object> backend = new HashMap<>();
        originals().forEach((key, value) -> {
            if (key.startsWith("ciphertrail.kms.")) {
                backend.put(key, value);
            }
        });
        return backend;
    }

    /** Kafka client settings for the audit producer: everything that is not the service's own or the backend's. */
    Map<String, Object> kafkaSettings() {
        Map<String, Object> kafka = new HashMap<>();
        originals().forEach((key, value) -> {
            if (!CONFIG.names().contains(key) && !key.startsWith("ciphertrail.kms.") && !key.equals(KmsConfig.TYPE_CONFIG)) {
                kafka.put(key, value);
            }
        });
        kafka.putIfAbsent(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        return kafka;
    }

    boolean publishesAudit() {
        Object bootstrap = originals().get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        return bootstrap != null && !bootstrap.toString().isBlank();
    }
}
