package io.ciphertrail.policy.quarantine;

import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Where replay may write: back to the ingress topic a record was read from, which must be a topic the gate
 * reads ({@code ciphertrail.gate.ingress.pattern}) and none of the platform's own.
 *
 * @param quarantineTopic where quarantined records are read from
 * @param trailTopic      where RECORD_REPLAYED events go
 * @param ingressPattern  the topics the gate reads
 * @param reserved        the platform's own topics, never written by replay
 */
public record ReplayRules(String quarantineTopic, String trailTopic, Pattern ingressPattern, Predicate<String> reserved) {

    /** Why replay must not write to {@code topic}, or null when it may. */
    String refusal(String topic) {
        if (topic == null || topic.isEmpty()) {
            return "it names no source topic";
        }
        if (!ingressPattern.matcher(topic).matches() || reserved.test(topic)) {
            return "'" + topic + "' is not an ingress topic the gate reads (pattern '" + ingressPattern.pattern()
                    + "'); replay writes only there";
        }
        return null;
    }
}
