package io.ciphertrail.faults;

import io.ciphertrail.embedded.SecureKafkaCluster;
import io.ciphertrail.policy.PolicyServiceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * A policy gate's topics, named after its egress topic {@code E}: producers write to {@code E.ingress},
 * the gate forwards to {@code E} or quarantines to {@code E.quarantine}, and keeps its trail, the audit topic it
 * reads, alerts and policies in {@code E.trail}, {@code E.audit}, {@code E.alerts} and {@code E.policies}.
 */
public record GateTopics(String egress) {

    public String ingress() {
        return egress + ".ingress";
    }

    public String quarantine() {
        return egress + ".quarantine";
    }

    /** The policy that routes the ingress topic to the egress topic, written to {@code file} for the service to publish. */
    public Path writePolicies(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.writeString(file, "policies:\n  - {name: " + egress + ", from: " + ingress() + ", to: " + egress + "}\n");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Settings for one instance of the gate's policy service as {@code identity}: every instance shares the
     * application id (so they share the ingress partitions) and keeps its state in {@code stateDirectory}.
     * A dead instance's partitions move to the others once its session expires: after 6 s, not Kafka
     * Streams' 45.
     */
    public Map<String, Object> serviceSettings(SecureKafkaCluster cluster, String identity, Path policies, Path stateDirectory) {
        Map<String, Object> settings = new HashMap<>(cluster.clientProperties(identity));
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, egress + "-gate");
        settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDirectory.toString());
        settings.put(PolicyServiceConfig.INGRESS_PATTERN_CONFIG, Pattern.quote(ingress()));
        settings.put(PolicyServiceConfig.QUARANTINE_TOPIC_CONFIG, quarantine());
        settings.put(PolicyServiceConfig.TRAIL_TOPIC_CONFIG, egress + ".trail");
        settings.put(PolicyServiceConfig.AUDIT_TOPIC_CONFIG, egress + ".audit");
        settings.put(PolicyServiceConfig.ALERTS_TOPIC_CONFIG, egress + ".alerts");
        settings.put(PolicyServiceConfig.POLICIES_TOPIC_CONFIG, egress + ".policies");
        settings.put(PolicyServiceConfig.POLICIES_FILE_CONFIG, policies.toString());
        settings.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
        settings.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_500);
        return settings;
    }
}
