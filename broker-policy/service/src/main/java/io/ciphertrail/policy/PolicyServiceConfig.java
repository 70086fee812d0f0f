package io.ciphertrail.policy;

import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.rules.PolicyTopic;
import java.util.HashMap;
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
    public static final String ALERTS_TOPIC_CONFIG = "ciphertrail.alerts.topic";
    public static final String ALERT_WINDOW_MS_CONFIG = "ciphertrail.alerts.window.ms";
    public static final String ALERT_THRESHOLD_CONFIG = "ciphertrail.alerts.threshold";
    public static final String BLOCK_ENABLED_CONFIG = "ciphertrail.block.enabled";
    public static final String BLOCK_DURATION_MS_CONFIG = "ciphertrail.block.duration.ms";
    public static final String TOPICS_CREATE_CONFIG = "ciphertrail.topics.create";
    public static final String HTTP_HOST_CONFIG = "ciphertrail.http.host";
    public static final String HTTP_PORT_CONFIG = "ciphertrail.http.port";

    public static final String DEFAULT_APPLICATION_ID = "ciphertrail-policy-service";
    public static final String DEFAULT_AUDIT_TOPIC = "ciphertrail.audit";
    public static final String DEFAULT_ALERTS_TOPIC = "ciphertrail.alerts";

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
                    "Audit topic: the service writes one event per record and stage (keyed by trace ID) and reads"
                            + " the broker authorizer's events about insecure clients from it.")
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
            .define(TOPICS_CREATE_CONFIG, Type.BOOLEAN, true, Importance.LOW,
                    "Create the service's topics (policies, quarantine, audit, alerts) at start when missing;"
                            + " with false, missing topics stop the start with an error naming them.")
            .define(HTTP_HOST_CONFIG, Type.STRING, "127.0.0.1", Importance.LOW,
                    "Address of the /health and /metrics endpoint. Use 0.0.0.0 in a container.")
            .define(HTTP_PORT_CONFIG, Type.INT, 8080, Range.between(0, 65535), Importance.LOW,
                    "Port of the /health and /metrics endpoint (0 picks a free port).");

    public PolicyServiceConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
    }

    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    public Pattern ingressPattern() {
        return Pattern.compile(getString(INGRESS_PATTERN_CONFIG));
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
