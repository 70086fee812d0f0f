package io.ciphertrail.broker.authorizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@code ciphertrail.authorizer.*} broker settings of {@link SecureTransportAuthorizer}. Unknown
 * keys under that prefix are errors (a misspelt key must not silently leave a default in force),
 * except {@value #AUDIT_PRODUCER_PREFIX}{@code *}, which are passed to the audit producer as they are.
 */
public final class SecureTransportConfig extends AbstractConfig {
    public static final String PREFIX = "ciphertrail.authorizer.";

    public static final String MODE_CONFIG = PREFIX + "mode";
    private static final String MODE_DOC = "STRICT denies every request that arrives over PLAINTEXT or SASL_PLAINTEXT,"
            + " before ACLs and before the super-user check, and audits it. PERMISSIVE lets such requests through to the"
            + " normal ACL checks but audits every one of them: the migration mode. Requests over SSL and SASL_SSL are"
            + " authorized by ACLs in both modes.";

    public static final String DENY_ANONYMOUS_CONFIG = PREFIX + "deny.anonymous";
    public static final String DENY_EXPIRED_CERTIFICATES_CONFIG = PREFIX + "deny.expired.certificates";
    private static final String DENY_EXPIRED_CERTIFICATES_DOC = "Deny requests on a TLS connection whose client certificate has expired"
            + " since the connection was opened (TLS checks a certificate only at the handshake, so without this a connection outlives"
            + " it). Needs principal.builder.class=io.ciphertrail.broker.authorizer.CertificatePrincipalBuilder, which remembers each"
            + " connection's certificate; clients using short-lived certificates from the trust service reconnect on renewal.";
    private static final String DENY_ANONYMOUS_DOC = "Deny requests from User:ANONYMOUS on SSL listeners, that is TLS"
            + " connections that presented no client certificate because the listener only requests client"
            + " authentication (ssl.client.auth=requested or none). Applies in both modes and before the super-user"
            + " check. It also covers admin requests that a broker forwards to the controller for a client whose"
            + " principal is User:ANONYMOUS.";

    public static final String EXEMPT_LISTENERS_CONFIG = PREFIX + "exempt.listeners";
    private static final String EXEMPT_LISTENERS_DOC = "Listener names whose insecure (PLAINTEXT or SASL_PLAINTEXT)"
            + " traffic is tolerated even in STRICT mode, for a migration where broker-internal listeners are not yet"
            + " TLS. Every request on an exempted insecure listener is still audited (INSECURE_REQUEST_ALLOWED) and"
            + " the exemption is logged at WARN at start. Anyone who can reach such a listener can act as whatever"
            + " principal it yields: keep the list empty in production.";

    public static final String AUDIT_TOPIC_CONFIG = PREFIX + "audit.topic";
    private static final String AUDIT_TOPIC_DOC = "Topic the audit events are published to.";

    public static final String AUDIT_TOPIC_CREATE_CONFIG = PREFIX + "audit.topic.create";
    private static final String AUDIT_TOPIC_CREATE_DOC = "Create the audit topic (with the broker's credentials) when"
            + " it does not exist. When false and the topic is missing, events are kept in the bounded buffer and"
            + " logged, and a WARN saying how to create the topic is logged once.";

    public static final String AUDIT_TOPIC_PARTITIONS_CONFIG = PREFIX + "audit.topic.partitions";
    private static final String AUDIT_TOPIC_PARTITIONS_DOC = "Partitions of an audit topic the authorizer creates;"
            + " -1 for the broker's num.partitions.";

    public static final String AUDIT_TOPIC_REPLICATION_FACTOR_CONFIG = PREFIX + "audit.topic.replication.factor";
    private static final String AUDIT_TOPIC_REPLICATION_FACTOR_DOC = "Replication factor of an audit topic the"
            + " authorizer creates; -1 for the broker's default.replication.factor.";

    public static final String AUDIT_WINDOW_MS_CONFIG = PREFIX + "audit.window.ms";
    private static final String AUDIT_WINDOW_MS_DOC = "Length of an aggregation window. Requests with the same"
            + " (listener, client address, principal, resource, operation, event type) within a window become one"
            + " event with a count, so a noisy client cannot flood the audit topic.";

    public static final String AUDIT_MAX_AGGREGATES_CONFIG = PREFIX + "audit.max.aggregates";
    private static final String AUDIT_MAX_AGGREGATES_DOC = "Most distinct aggregation keys held in one window. The"
            + " last tenth is a reserve: once the rest is full, a request for a new key is counted under its client's"
            + " wildcard key (same listener, address, principal, operation and outcome; resource '*' of its type, counted in"
            + " audit-requests-collapsed-total), so one request naming thousands of resources cannot hide other clients."
            + " Requests that find the reserve full too are counted in audit-requests-dropped-total instead.";

    public static final String AUDIT_BUFFER_EVENTS_CONFIG = PREFIX + "audit.buffer.events";
    private static final String AUDIT_BUFFER_EVENTS_DOC = "Most events waiting to be published (for example while"
            + " the audit topic does not exist yet or the cluster is starting). When full the oldest are dropped and"
            + " counted in the audit-events-dropped-total metric; every event has been logged already.";

    public static final String AUDIT_PUBLISH_CONFIG = PREFIX + "audit.publish";
    private static final String AUDIT_PUBLISH_DOC = "Publish audit events to the audit topic. When false they are"
            + " only logged (logger io.ciphertrail.audit).";

    public static final String AUDIT_ACL_DENIALS_CONFIG = PREFIX + "audit.acl.denials";
    private static final String AUDIT_ACL_DENIALS_DOC = "Also audit requests over secure transports that the ACLs"
            + " deny (those Kafka itself would log as denied, i.e. not the silent filtering of topic lists).";

    public static final String AUDIT_LISTENER_CONFIG = PREFIX + "audit.listener";
    private static final String AUDIT_LISTENER_DOC = "Listener whose address and ssl.* settings the audit producer"
            + " uses. Empty: the inter-broker listener. It must be SSL or SASL_SSL: audit events never travel in clear.";

    public static final String AUDIT_BOOTSTRAP_SERVERS_CONFIG = PREFIX + "audit.bootstrap.servers";
    private static final String AUDIT_BOOTSTRAP_SERVERS_DOC = "Bootstrap servers of the audit producer. Empty: this"
            + " node's address on the audit listener (advertised.listeners, else listeners). Set it on controller-only"
            + " nodes, which have no broker listener of their own.";

    public static final String AUDIT_RETRY_BACKOFF_MAX_MS_CONFIG = PREFIX + "audit.retry.backoff.max.ms";
    private static final String AUDIT_RETRY_BACKOFF_MAX_MS_DOC = "Longest wait between two attempts to reach the audit"
            + " topic while it is missing or the cluster is not reachable yet (the wait doubles from 500 ms up to this).";

    public static final String AUDIT_PRODUCER_PREFIX = PREFIX + "audit.producer.";

    public static final ConfigDef CONFIG = new ConfigDef()
            .define(MODE_CONFIG, Type.STRING, Mode.STRICT.name(),
                    ConfigDef.CaseInsensitiveValidString.in(Mode.names()), Importance.HIGH, MODE_DOC)
            .define(DENY_ANONYMOUS_CONFIG, Type.BOOLEAN, true, Importance.HIGH, DENY_ANONYMOUS_DOC)
            .define(DENY_EXPIRED_CERTIFICATES_CONFIG, Type.BOOLEAN, true, Importance.HIGH, DENY_EXPIRED_CERTIFICATES_DOC)
            .define(EXEMPT_LISTENERS_CONFIG, Type.LIST, List.of(), ConfigDef.ValidList.anyNonDuplicateValues(true, false),
                    Importance.HIGH, EXEMPT_LISTENERS_DOC)
            .define(AUDIT_TOPIC_CONFIG, Type.STRING, "ciphertrail.audit", new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM, AUDIT_TOPIC_DOC)
            .define(AUDIT_TOPIC_CREATE_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, AUDIT_TOPIC_CREATE_DOC)
            .define(AUDIT_TOPIC_PARTITIONS_CONFIG, Type.INT, -1, notZero(), Importance.LOW, AUDIT_TOPIC_PARTITIONS_DOC)
            .define(AUDIT_TOPIC_REPLICATION_FACTOR_CONFIG, Type.SHORT, (short) -1, notZero(), Importance.LOW,
                    AUDIT_TOPIC_REPLICATION_FACTOR_DOC)
            .define(AUDIT_WINDOW_MS_CONFIG, Type.LONG, 10_000L, Range.between(100L, 3_600_000L), Importance.MEDIUM,
                    AUDIT_WINDOW_MS_DOC)
            .define(AUDIT_MAX_AGGREGATES_CONFIG, Type.INT, 10_000, Range.between(1, 10_000_000), Importance.LOW,
                    AUDIT_MAX_AGGREGATES_DOC)
            .define(AUDIT_BUFFER_EVENTS_CONFIG, Type.INT, 100_000, Range.between(1, 10_000_000), Importance.LOW,
                    AUDIT_BUFFER_EVENTS_DOC)
            .define(AUDIT_PUBLISH_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, AUDIT_PUBLISH_DOC)
            .define(AUDIT_ACL_DENIALS_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, AUDIT_ACL_DENIALS_DOC)
            .define(AUDIT_RETRY_BACKOFF_MAX_MS_CONFIG, Type.LONG, 30_000L, Range.between(500L, 3_600_000L), Importance.LOW,
                    AUDIT_RETRY_BACKOFF_MAX_MS_DOC)
            .define(AUDIT_LISTENER_CONFIG, Type.STRING, "", Importance.LOW, AUDIT_LISTENER_DOC)
            .define(AUDIT_BOOTSTRAP_SERVERS_CONFIG, Type.LIST, List.of(), Importance.LOW, AUDIT_BOOTSTRAP_SERVERS_DOC);

    /** What happens to requests over PLAINTEXT and SASL_PLAINTEXT. */
    public enum Mode {
        STRICT,
        PERMISSIVE;

        static String[] names() {
            return new String[] {STRICT.name(), PERMISSIVE.name()};
        }
    }

    private final Map<String, Object> producerOverrides;

    /** Parses the {@code ciphertrail.authorizer.*} keys of the broker configuration the authorizer receives. */
    public SecureTransportConfig(Map<String, ?> brokerConfig) {
        super(CONFIG, ownKeys(brokerConfig), false);
        this.producerOverrides = new TreeMap<>(originalsWithPrefix(AUDIT_PRODUCER_PREFIX));
    }

    private static Map<String, Object> ownKeys(Map<String, ?> brokerConfig) {
        Map<String, Object> own = new TreeMap<>();
        List<String> unknown = new ArrayList<>();
        Set<String> known = CONFIG.names();
        brokerConfig.forEach((key, value) -> {
            if (!key.startsWith(PREFIX)) {
                return;
            }
            if (!known.contains(key) && !key.startsWith(AUDIT_PRODUCER_PREFIX)) {
                unknown.add(key);
            }
            own.put(key, value);
        });
        if (!unknown.isEmpty()) {
            throw new ConfigException("Unknown setting(s) " + unknown + " for " + SecureTransportAuthorizer.class.getName()
                    + "; known ones are " + new java.util.TreeSet<>(known) + " and " + AUDIT_PRODUCER_PREFIX + "<producer setting>");
        }
        return own;
    }

    public Mode mode() {
        return Mode.valueOf(getString(MODE_CONFIG).trim().toUpperCase(Locale.ROOT));
    }

    public boolean denyAnonymous() {
        return getBoolean(DENY_ANONYMOUS_CONFIG);
    }

    public boolean denyExpiredCertificates() {
        return getBoolean(DENY_EXPIRED_CERTIFICATES_CONFIG);
    }

    public List<String> exemptListeners() {
        return getList(EXEMPT_LISTENERS_CONFIG).stream().map(l -> l.trim().toUpperCase(Locale.ROOT)).toList();
    }

    public String auditTopic() {
        return getString(AUDIT_TOPIC_CONFIG).trim();
    }

    public boolean createAuditTopic() {
        return getBoolean(AUDIT_TOPIC_CREATE_CONFIG);
    }

    public int auditTopicPartitions() {
        return getInt(AUDIT_TOPIC_PARTITIONS_CONFIG);
    }

    public short auditTopicReplicationFactor() {
        return getShort(AUDIT_TOPIC_REPLICATION_FACTOR_CONFIG);
    }

    public long auditWindowMs() {
        return getLong(AUDIT_WINDOW_MS_CONFIG);
    }

    public int auditMaxAggregates() {
        return getInt(AUDIT_MAX_AGGREGATES_CONFIG);
    }

    public int auditBufferEvents() {
        return getInt(AUDIT_BUFFER_EVENTS_CONFIG);
    }

    public boolean publishAudit() {
        return getBoolean(AUDIT_PUBLISH_CONFIG);
    }

    public boolean auditAclDenials() {
        return getBoolean(AUDIT_ACL_DENIALS_CONFIG);
    }

    public long auditRetryBackoffMaxMs() {
        return getLong(AUDIT_RETRY_BACKOFF_MAX_MS_CONFIG);
    }

    public String auditListener() {
        return getString(AUDIT_LISTENER_CONFIG).trim().toUpperCase(Locale.ROOT);
    }

    public List<String> auditBootstrapServers() {
        return getList(AUDIT_BOOTSTRAP_SERVERS_CONFIG);
    }

    /** {@code ciphertrail.authorizer.audit.producer.*} with the prefix removed; may hold secrets. */
    public Map<String, Object> auditProducerOverrides() {
        return producerOverrides;
    }

    /** The settings' documentation in Kafka's reference format (docs/broker-setup.md lists the same keys). */
    public static String toRst() {
        return CONFIG.toRst();
    }

    private static ConfigDef.Validator notZero() {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                Number number = (Number) value;
                if (number != null && (number.intValue() == 0 || number.intValue() < -1)) {
                    throw new ConfigException(name, value, "must be -1 (broker default) or positive");
                }
            }

            @Override
            public String toString() {
                return "-1 (broker default) or positive";
            }
        };
    }
}
