package io.ciphertrail.policy.quarantine;

import io.ciphertrail.core.envelope.EnvelopeException;
import java.util.Arrays;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Why and from where a record was quarantined.
 *
 * @param policy  the policy that applied, or empty when none routed the topic
 * @param rule    the rule that failed (envelope, binding, trace, size, route, delivery)
 * @param code    a stable reason code, one of {@link #CODES}, e.g. {@code NOT_ENCRYPTED}, {@code WRONG_TOPIC}
 * @param detail  a sentence an operator can act on; never record content
 */
public record QuarantineReason(String policy, String rule, String code, String detail,
                               String sourceTopic, int sourcePartition, long sourceOffset, long time) {

    /** The gate's own reason codes: routing, delivery, size, trace, and the records it could not handle at all. */
    private static final String[] GATE_CODES = {"NO_POLICY", "ROUTING_LOOP", "RESERVED_EGRESS", "TOO_LARGE", "MISSING_TRACE",
        "MALFORMED_TRACE", "TRACE_MISMATCH", "WRONG_TOPIC", "WRONG_KEK", "UNAUTHENTICATED_DELETE", "EGRESS_MISSING",
        "EGRESS_NOT_WRITABLE", "GATE_ERROR", "UNREADABLE", "UNWRITABLE", QuarantineCopy.TOO_LARGE_TO_COPY};

    /**
     * Every code a quarantine record can carry: the gate's own and the envelope's reasons (the gate checks envelopes
     * without keys, so only some of those occur, but a code outside this set never does). Tools filtering by reason
     * refuse anything else, so a typo is not an empty answer.
     */
    public static final SortedSet<String> CODES = codes();

    private static SortedSet<String> codes() {
        SortedSet<String> codes = new TreeSet<>(Arrays.asList(GATE_CODES));
        for (EnvelopeException.Reason reason : EnvelopeException.Reason.values()) {
            codes.add(reason.name());
        }
        return java.util.Collections.unmodifiableSortedSet(codes);
    }
}
