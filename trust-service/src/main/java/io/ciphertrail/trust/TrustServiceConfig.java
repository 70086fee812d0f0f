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
    public static final String BOOTSTRAP_HOST_CONFIG = PREFIX + "bootstrap.host";
    public static final String BOOTSTRAP_PORT_CONFIG = PREFIX + "bootstrap.port";
    public static final String BOOTSTRAP_RATE_LIMIT_PER_SECOND_CONFIG = PREFIX + "bootstrap.rate.limit.per.second";
    public static final String BOOTSTRAP_RATE_LIMIT_BURST_CONFIG = PREFIX + "bootstrap.rate.limit.burst";
    private static final String CA = PREFIX + "ca.";
    public static final String CA_KEY_SOURCE_CONFIG = CA + "key.source";
    public static final String CA_DIRECTORY_CONFIG = CA + "directory";
    public static final String CA_PKCS11_LIBRARY_CONFIG = CA + "pkcs11.library";
    public static final String CA_PKCS11_SLOT_INDEX_CONFIG = CA + "pkcs11.slot.index";
    public static final String CA_PKCS11_PIN_ENV_CONFIG = CA + "pkcs11.pin.env";
    public static final String CA_PKCS11_PIN_FILE_CONFIG = CA + "pkcs11.pin.file";
    public static final String CA_PKCS11_KEY_LABEL_CONFIG = CA + "pkcs11.key.label";
    public static final String CA_BUNDLE_FILE_CONFIG = CA + "bundle.file";
    public static final String CA_TRUST_DOMAIN_CONFIG = CA + "trust.domain";
    public static final String CA_LIFETIME_MS_CONFIG = CA + "lifetime.ms";
    public static final String CA_LIFETIME_MIN_MS_CONFIG = CA + "lifetime.min.ms";
    public static final String CA_LIFETIME_MAX_MS_CONFIG = CA + "lifetime.max.ms";
    public static final String CA_TOKEN_TTL_MAX_MS_CONFIG = CA + "token.ttl.max.ms";
    public static final String CA_ADMINISTRATORS_CONFIG = CA + "administrators";
    public static final String CA_LEDGER_TOPIC_CONFIG = CA + "ledger.topic";
    public static final String CA_LEDGER_TIMEOUT_MS_CONFIG = CA + "ledger.timeout.ms";
    public static final String DEFAULT_LEDGER_TOPIC = "ciphertrail.identities";
    private static final String OWN = PREFIX + "identity.";
    public static final String IDENTITY_NAME_CONFIG = OWN + "name";
    public static final String IDENTITY_DNS_NAMES_CONFIG = OWN + "dns.names";
    public static final String IDENTITY_IP_ADDRESSES_CONFIG = OWN + "ip.addresses";
    public static final String IDENTITY_LIFETIME_MS_CONFIG = OWN + "lifetime.ms";

    /** Where the CA's signing key lives. */
    public enum CaKeySource { NONE, FILE, PKCS11 }

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
                            + " ssl.principal.mapping.rules), e.g. RULE:^CN=([^,]+),.*$/$1/,DEFAULT gives User:orders-service.")
            .define(BOOTSTRAP_HOST_CONFIG, Type.STRING, "127.0.0.1", Importance.MEDIUM,
                    "Address of the bootstrap listener: HTTPS authenticated by the server only, where a workload without a"
                            + " certificate gets its first one with a one-time token. It serves that one call and nothing else.")
            .define(BOOTSTRAP_PORT_CONFIG, Type.INT, 8445, Range.between(-1, 65535), Importance.MEDIUM,
                    "Port of the bootstrap listener (0 picks a free port, -1 turns it off). Open only while the CA runs.")
            .define(BOOTSTRAP_RATE_LIMIT_PER_SECOND_CONFIG, Type.LONG, 10L, Range.atLeast(1), Importance.LOW,
                    "Bootstrap calls per second one client address may make at one instance, on average (the caller is not"
                            + " yet authenticated, so its address is what is limited).")
            .define(BOOTSTRAP_RATE_LIMIT_BURST_CONFIG, Type.LONG, 50L, Range.atLeast(1), Importance.LOW,
                    "Bootstrap calls one client address may make at once before the average applies (a fleet starting together"
                            + " behind one NAT address).")
            .define(CA_KEY_SOURCE_CONFIG, Type.STRING, "NONE", ConfigDef.CaseInsensitiveValidString.in("NONE", "FILE", "PKCS11"),
                    Importance.HIGH, "Where the workload CA's signing key lives: NONE (no CA: key service only), FILE (the owner-only"
                            + " ca.key in " + CA_DIRECTORY_CONFIG + ") or PKCS11 (a token: the key never leaves it).")
            .define(CA_DIRECTORY_CONFIG, Type.STRING, "", Importance.HIGH,
                    "Directory of the CA as 'ciphertrail certs init-ca' writes it: ca.crt and the owner-only ca.key (FILE).")
            .define(CA_PKCS11_LIBRARY_CONFIG, Type.STRING, "/usr/lib/softhsm/libsofthsm2.so", Importance.MEDIUM,
                    "PKCS#11 library of the token holding the CA key (PKCS11).")
            .define(CA_PKCS11_SLOT_INDEX_CONFIG, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
                    "Index of the token's slot in the library's slot list (PKCS11).")
            .define(CA_PKCS11_PIN_ENV_CONFIG, Type.STRING, "CIPHERTRAIL_CA_PIN", Importance.MEDIUM,
                    "Environment variable holding the token's user PIN (PKCS11; used unless " + CA_PKCS11_PIN_FILE_CONFIG + " is set).")
            .define(CA_PKCS11_PIN_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "Owner-only file holding the token's user PIN (PKCS11); takes precedence over the environment variable.")
            .define(CA_PKCS11_KEY_LABEL_CONFIG, Type.STRING, "ciphertrail-ca", Importance.MEDIUM,
                    "Label of the CA's key and certificate in the token (PKCS11).")
            .define(CA_BUNDLE_FILE_CONFIG, Type.STRING, "", Importance.HIGH,
                    "PEM file of every CA certificate workloads and brokers should trust now (the trust bundle), sent with every"
                            + " certificate issued. During a CA rotation it holds the old and the new CA. It must hold the signing CA."
                            + " Re-read when it changes; default: the signing CA alone.")
            .define(CA_TRUST_DOMAIN_CONFIG, Type.STRING, "ciphertrail.local", Importance.MEDIUM,
                    "Trust domain of the SPIFFE IDs the CA puts on certificates: spiffe://<trust-domain>/<identity>.")
            .define(CA_LIFETIME_MS_CONFIG, Type.LONG, 86_400_000L, Range.atLeast(1_000), Importance.HIGH,
                    "Lifetime of a workload certificate when the request asks for none (24 h): a stolen key is worth at most this long.")
            .define(CA_LIFETIME_MIN_MS_CONFIG, Type.LONG, 10_000L, Range.atLeast(1_000), Importance.LOW,
                    "Shortest lifetime a request may ask for; shorter requests get this.")
            .define(CA_LIFETIME_MAX_MS_CONFIG, Type.LONG, 86_400_000L, Range.atLeast(1_000), Importance.HIGH,
                    "Longest lifetime a request may ask for; longer requests get this.")
            .define(CA_TOKEN_TTL_MAX_MS_CONFIG, Type.LONG, 86_400_000L, Range.atLeast(1_000), Importance.MEDIUM,
                    "Longest time to live of a bootstrap token.")
            .define(CA_ADMINISTRATORS_CONFIG, Type.LIST, "User:ciphertrail-admin", Importance.HIGH,
                    "Principals that may create bootstrap tokens and bar or unbar identities.")
            .define(CA_LEDGER_TOPIC_CONFIG, Type.STRING, DEFAULT_LEDGER_TOPIC, Importance.MEDIUM,
                    "Compacted topic holding bootstrap tokens (hashed), their use and barred identities, shared by every instance:"
                            + " a token's first claim in this topic wins, so a token is used once however many instances run. Records"
                            + " of tokens and bars are signed with the CA key. Keep its WRITE to the trust service (a platform topic).")
            .define(CA_LEDGER_TIMEOUT_MS_CONFIG, Type.LONG, 10_000L, Range.atLeast(100), Importance.LOW,
                    "Longest wait for the ledger topic when a token is used or an identity barred; then CA_UNAVAILABLE.")
            .define(IDENTITY_NAME_CONFIG, Type.STRING, "key-service", Importance.HIGH,
                    "The service's own identity when it runs the CA and no key store is set (ssl.keystore.* unset): the CA issues"
                            + " it a short-lived server certificate in process (CN=<name>, so its Kafka principal is User:<name>) and"
                            + " renews it at half life; the HTTPS listeners and the Kafka clients (audit, ledger) present it, new"
                            + " connections the renewed one, without a restart and without a key file.")
            .define(IDENTITY_DNS_NAMES_CONFIG, Type.LIST, "localhost", Importance.HIGH,
                    "DNS names clients reach the service by, put on its own certificate (with " + IDENTITY_NAME_CONFIG + ").")
            .define(IDENTITY_IP_ADDRESSES_CONFIG, Type.LIST, "127.0.0.1", Importance.MEDIUM,
                    "IP addresses clients reach the service by, put on its own certificate (with " + IDENTITY_NAME_CONFIG + ").")
            .define(IDENTITY_LIFETIME_MS_CONFIG, Type.LONG, 0L, Range.atLeast(0), Importance.MEDIUM,
                    "Lifetime of the service's own certificate; 0 takes " + CA_LIFETIME_MS_CONFIG + " (24 h). Renewed at half life.");

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

    public CaKeySource caKeySource() {
        return CaKeySource.valueOf(getString(CA_KEY_SOURCE_CONFIG).toUpperCase(java.util.Locale.ROOT));
    }

    boolean publishesAudit() {
        Object bootstrap = originals().get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        return bootstrap != null && !bootstrap.toString().isBlank();
    }
}
