package io.ciphertrail.policy;

import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.rules.PolicyTopic;
import io.ciphertrail.policy.rules.ReservedTopics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@code ciphertrail.*} settings of the policy service. Every other key in the service's
 * properties file (bootstrap servers, {@code ssl.*}, Kafka Streams settings) is passed to Kafka
 * Streams and its clients as it is (including {@code ciphertrail.tls.*}, read by the TLS engine
 * factory), after the TLS policy has checked it.
 */
public final class PolicyServiceConfig extends AbstractConfig {
    public static final String INGRESS_PATTERN_CONFIG = "ciphertrail.gate.ingress.pattern";
    public static final String POLICIES_TOPIC_CONFIG = "ciphertrail.policies.topic";
    public static final String POLICIES_FILE_CONFIG = "ciphertrail.policies.file";
    public static final String QUARANTINE_TOPIC_CONFIG = "ciphertrail.quarantine.topic";
    public static final String AUDIT_TOPIC_CONFIG = "ciphertrail.audit.topic";
    public static final String TRAIL_TOPIC_CONFIG = "ciphertrail.trail.topic";
    public static final String TRAIL_FULL_CONFIG = "ciphertrail.trail.full";
    public static final String ALERTS_TOPIC_CONFIG = "ciphertrail.alerts.topic";
    public static final String ALERT_WINDOW_MS_CONFIG = "ciphertrail.alerts.window.ms";
    public static final String ALERT_THRESHOLD_CONFIG = "ciphertrail.alerts.threshold";
    public static final String BLOCK_ENABLED_CONFIG = "ciphertrail.block.enabled";
    public static final String BLOCK_DURATION_MS_CONFIG = "ciphertrail.block.duration.ms";
    public static final String TOPICS_CREATE_CONFIG = "ciphertrail.topics.create";
    public static final String HTTP_HOST_CONFIG = "ciphertrail.http.host";
    public static final String HTTP_PORT_CONFIG = "ciphertrail.http.port";
    public static final String TOPICS_REFRESH_MS_CONFIG = "ciphertrail.topics.refresh.ms";
    public static final String RETRY_BACKOFF_MS_CONFIG = "ciphertrail.retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS_CONFIG = "ciphertrail.retry.backoff.max.ms";
    public static final String BLOCKS_TOPIC_CONFIG = "ciphertrail.blocks.topic";
    public static final String BLOCK_EXEMPT_PRINCIPALS_CONFIG = "ciphertrail.block.exempt.principals";
    public static final String SERVICE_PRINCIPAL_CONFIG = "ciphertrail.service.principal";
    public static final String ALERTS_EXEMPT_LISTENERS_CONFIG = "ciphertrail.alerts.exempt.listeners";

    public static final String DEFAULT_APPLICATION_ID = "ciphertrail-policy-service";
    public static final String DEFAULT_AUDIT_TOPIC = "ciphertrail.audit";
    public static final String DEFAULT_TRAIL_TOPIC = "ciphertrail.trail";
    public static final String DEFAULT_ALERTS_TOPIC = "ciphertrail.alerts";
    public static final String DEFAULT_BLOCKS_TOPIC = "ciphertrail.blocks";

    static final ConfigDef CONFIG = new ConfigDef()
            .define(INGRESS_PATTERN_CONFIG, Type.STRING, ".+\\.ingress", new RegexValidator(), Importance.HIGH,
                    "Regular expression of the topics the gate reads. A record on a matching topic that no policy"
                            + " routes is quarantined (fail closed). Policies route what the gate reads to egress topics.")
            .define(POLICIES_TOPIC_CONFIG, Type.STRING, PolicyTopic.DEFAULT_NAME, Importance.MEDIUM,
                    "Compacted topic holding the published policies, read as a global table: changes apply without a restart.")
            .define(POLICIES_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "Optional YAML policy file published to the policies topic at start, replacing what is there.")
            .define(QUARANTINE_TOPIC_CONFIG, Type.STRING, QuarantineTopic.DEFAULT_NAME, Importance.HIGH,
                    "Where records that break an enforced rule go, byte for byte, with reason headers.")
            .define(AUDIT_TOPIC_CONFIG, Type.STRING, DEFAULT_AUDIT_TOPIC, Importance.HIGH,
                    "The brokers' audit topic: the insecure-client monitor reads the authorizers' events from it. The service"
                            + " does not write to it, so WRITE on it can be reserved to the brokers.")
            .define(TRAIL_TOPIC_CONFIG, Type.STRING, DEFAULT_TRAIL_TOPIC, Importance.HIGH,
                    "The gate's trail, keyed by trace ID, in the same transaction as the records: an audit event for each"
                            + " record quarantined or forwarded despite a permissive rule (and each replay), and a compact index"
                            + " entry (ingress position, policy, egress topic) for every other forwarded record. At most one"
                            + " trail record per gated record; 'ciphertrail trace' reads it.")
            .define(TRAIL_FULL_CONFIG, Type.BOOLEAN, false, Importance.LOW,
                    "Write a full audit event (RECORD_FORWARDED, with its own id and time) for every forwarded record instead"
                            + " of a compact index entry: for a SIEM that wants every record as an event. It costs about three"
                            + " times the bytes on the trail topic and more CPU per record (docs/policy-service.md).")
            .define(ALERTS_TOPIC_CONFIG, Type.STRING, DEFAULT_ALERTS_TOPIC, Importance.MEDIUM,
                    "Where alerts about insecure clients go.")
            .define(ALERT_WINDOW_MS_CONFIG, Type.LONG, 60_000L, Range.atLeast(1_000), Importance.MEDIUM,
                    "Length of the window in which insecure attempts per client address and principal are counted.")
            .define(ALERT_THRESHOLD_CONFIG, Type.LONG, 10L, Range.atLeast(1), Importance.MEDIUM,
                    "Insecure attempts within one window that raise an alert.")
            .define(BLOCK_ENABLED_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM,
                    "Whether an alert also blocks the client's host with Kafka DENY ACLs for "
                            + BLOCK_DURATION_MS_CONFIG + ". The service removes only ACLs it created.")
            .define(BLOCK_DURATION_MS_CONFIG, Type.LONG, 600_000L, Range.atLeast(1_000), Importance.MEDIUM,
                    "How long a block lasts before the service removes its DENY ACLs.")
            .define(BLOCKS_TOPIC_CONFIG, Type.STRING, DEFAULT_BLOCKS_TOPIC, Importance.LOW,
                    "Compacted topic where the service records each DENY ACL it creates, before it creates it, so it"
                            + " removes exactly those (never an operator's) even after a restart or a reset of its state.")
            .define(BLOCK_EXEMPT_PRINCIPALS_CONFIG, Type.LIST, List.of(), Importance.MEDIUM,
                    "Principals the service never blocks, e.g. the brokers' super.users (which it also reads from the"
                            + " brokers when it may). The service's own principal, User:* and empty principals or hosts are never"
                            + " blocked anyway.")
            .define(SERVICE_PRINCIPAL_CONFIG, Type.STRING, "", Importance.LOW,
                    "The service's own Kafka principal, never blocked. Empty: User:<CN> and User:<subject> of its client"
                            + " certificate, which is what the broker's ssl.principal.mapping.rules make of it in the usual setups.")
            .define(ALERTS_EXEMPT_LISTENERS_CONFIG, Type.LIST, List.of(), Importance.LOW,
                    "Listener names the brokers exempt from the transport check (ciphertrail.authorizer.exempt.listeners):"
                            + " their events are not counted or acted on. In STRICT mode such events are recognised without it.")
            .define(TOPICS_CREATE_CONFIG, Type.BOOLEAN, true, Importance.LOW,
                    "Create the service's topics (policies, quarantine, trail, audit, alerts, blocks) at start when missing;"
                            + " with false, missing topics stop the start with an error naming them.")
            .define(HTTP_HOST_CONFIG, Type.STRING, "127.0.0.1", Importance.LOW,
                    "Address of the /health and /metrics endpoint. Use 0.0.0.0 in a container.")
            .define(HTTP_PORT_CONFIG, Type.INT, 8080, Range.between(0, 65535), Importance.LOW,
                    "Port of the /health and /metrics endpoint (0 picks a free port).")
            .define(TOPICS_REFRESH_MS_CONFIG, Type.LONG, 10_000L, Range.between(100L, 3_600_000L), Importance.LOW,
                    "How often the service refreshes its view of the topics it writes to (which exist, their"
                            + " max.message.bytes, whether it may write). A topic the view does not know is looked up at once, at"
                            + " most once a second.")
            .define(RETRY_BACKOFF_MS_CONFIG, Type.LONG, 1_000L, Range.between(10L, 600_000L), Importance.LOW,
                    "First wait before records are processed again after a write failed; it doubles with every further"
                            + " failure up to " + RETRY_BACKOFF_MAX_MS_CONFIG + ". Nothing is skipped meanwhile.")
            .define(RETRY_BACKOFF_MAX_MS_CONFIG, Type.LONG, 60_000L, Range.between(10L, 600_000L), Importance.LOW,
                    "Longest wait between attempts after write failures (keep it below max.poll.interval.ms).");

    public PolicyServiceConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
    }

    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    public Pattern ingressPattern() {
        return Pattern.compile(getString(INGRESS_PATTERN_CONFIG));
    }

    /** The platform's own topics as this service names them, and its Kafka Streams topics. */
    public ReservedTopics reservedTopics(String applicationId) {
        return new ReservedTopics(List.of(getString(QUARANTINE_TOPIC_CONFIG), getString(TRAIL_TOPIC_CONFIG), getString(AUDIT_TOPIC_CONFIG),
                getString(POLICIES_TOPIC_CONFIG), getString(ALERTS_TOPIC_CONFIG), getString(BLOCKS_TOPIC_CONFIG)), applicationId);
    }

    /** The gate must never read the platform's own topics: it would gate its own audit trail and quarantine, in a loop. */
    void requireIngressPatternClearOf(ReservedTopics reserved) {
        for (String topic : reserved.names()) {
            if (ingressPattern().matcher(topic).matches()) {
                throw new ConfigException(INGRESS_PATTERN_CONFIG, getString(INGRESS_PATTERN_CONFIG), "it matches '" + topic
                        + "', one of the service's own topics; narrow the pattern to the ingress topics (e.g. .+\\.ingress)");
            }
        }
    }

    /** The settings for Kafka Streams and its clients: everything but the service's own keys. */
    public Map<String, Object> kafkaSettings() {
        Map<String, Object> kafka = new HashMap<>();
        originals().forEach((key, value) -> {
            if (!CONFIG.names().contains(key)) {
                kafka.put(key, value);
            }
        });
        return kafka;
    }

    private static final class RegexValidator implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            try {
                Pattern.compile((String) value);
            } catch (PatternSyntaxException e) {
                throw new ConfigException(name, value, "not a valid regular expression: " + e.getDescription());
            }
        }

        @Override
        public String toString() {
            return "a Java regular expression";
        }
    }
}
