package io.ciphertrail.policy.quarantine;

/**
 * Why and from where a record was quarantined.
 *
 * @param policy  the policy that applied, or empty when none routed the topic
 * @param rule    the rule that failed (envelope, binding, trace, size, route, delivery)
 * @param code    a stable reason code, e.g. {@code NOT_ENCRYPTED}, {@code WRONG_TOPIC}
 * @param detail  a sentence an operator can act on; never record content
 */
public record QuarantineReason(String policy, String rule, String code, String detail,
                               String sourceTopic, int sourcePartition, long sourceOffset, long time) {
}
