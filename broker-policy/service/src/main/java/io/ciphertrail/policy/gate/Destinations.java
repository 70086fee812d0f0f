package io.ciphertrail.policy.gate;

import io.ciphertrail.policy.delivery.OutputUnavailableException;
import io.ciphertrail.policy.delivery.ProducerLimits;
import io.ciphertrail.policy.delivery.RecordSize;
import io.ciphertrail.policy.delivery.TopicCatalog;
import io.ciphertrail.policy.delivery.TopicInfo;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;

/**
 * Where the gate writes, checked before it writes, since under exactly-once one failed send aborts the whole
 * transaction: an egress topic must exist, take writes from the service and have room for the record, or the
 * record is quarantined instead ({@code EGRESS_MISSING}, {@code EGRESS_NOT_WRITABLE}, {@code TOO_LARGE}); the
 * quarantine and trail topics must exist, or nothing is written and the record is retried.
 */
public final class Destinations {
    private final TopicCatalog topics;
    private final ProducerLimits limits;
    private final String quarantineTopic;
    private final String trailTopic;

    public Destinations(TopicCatalog topics, ProducerLimits limits, String quarantineTopic, String trailTopic) {
        this.topics = topics;
        this.limits = limits;
        this.quarantineTopic = quarantineTopic;
        this.trailTopic = trailTopic;
        topics.watch(quarantineTopic, trailTopic);
    }

    String quarantineTopic() {
        return quarantineTopic;
    }

    /** Why the record cannot go to {@code egress}, if it cannot. */
    Optional<Violation> egressProblem(String egress, byte[] key, byte[] value, Headers headers) {
        Optional<TopicInfo> topic = topics.lookup(egress);
        if (topic.isEmpty()) {
            return Optional.of(Violation.delivery("EGRESS_MISSING", "the egress topic '" + egress + "' does not exist (or the"
                    + " service may not see it: DESCRIBE ACL); create it, then replay the record"));
        }
        if (!topic.get().writable()) {
            return Optional.of(Violation.delivery("EGRESS_NOT_WRITABLE", "the service may not write to the egress topic '" + egress
                    + "' (no WRITE ACL for its principal); grant it, then replay the record"));
        }
        int size = RecordSize.of(key, value, headers);
        int limit = limits.limitFor(topic.get());
        if (size > limit) {
            return Optional.of(Violation.delivery("TOO_LARGE", "the record takes " + size + " bytes, more than the " + limit
                    + " the egress topic '" + egress + "' accepts (its max.message.bytes, or the service's max.request.size);"
                    + " raise the limit or split the record, then replay it"));
        }
        return Optional.empty();
    }

    /**
     * The largest record the quarantine topic takes from the service, after checking that the trail topic exists too.
     *
     * @throws OutputUnavailableException when either is missing: nothing is written, the record is retried
     */
    int requireQuarantineAndTrail() {
        requireWritable(trailTopic, "the trail topic");
        return limits.limitFor(requireWritable(quarantineTopic, "the quarantine topic"));
    }

    /** What keeps the gate from writing at all now (the quarantine or trail topic missing or closed to it), if anything. */
    public Optional<String> outputProblem() {
        try {
            requireQuarantineAndTrail();
            return Optional.empty();
        } catch (OutputUnavailableException e) {
            return Optional.of(e.getMessage());
        }
    }

    private TopicInfo requireWritable(String topic, String role) {
        TopicInfo info = topics.lookup(topic).orElseThrow(() -> new OutputUnavailableException(
                "Cannot write to " + role + " '" + topic + "': it does not exist. Create it (docs/policy-service.md);"
                        + " records wait in their ingress topics meanwhile"));
        if (!info.writable()) {
            throw new OutputUnavailableException("Cannot write to " + role + " '" + topic + "': the service has no WRITE ACL on it;"
                    + " grant it. Records wait in their ingress topics meanwhile");
        }
        return info;
    }
}
