package io.ciphertrail.policy.gate;

import io.ciphertrail.policy.rules.Rule;

/**
 * A rule a record broke.
 *
 * @param rule     the policy rule, or null for a failure outside the policy's rules (routing, delivery, a gate error)
 * @param ruleName the rule's name for headers, metrics and audit events: a policy rule's id, {@value #ROUTE} or {@value #DELIVERY}
 * @param code     stable reason code, e.g. NOT_ENCRYPTED, WRONG_TOPIC, EGRESS_MISSING
 * @param detail   a sentence an operator can act on; never record content
 */
public record Violation(Rule rule, String ruleName, String code, String detail) {
    /** No usable route: no policy, a loop, or an egress the gate may not write to. */
    public static final String ROUTE = "route";
    /** The record passed, but cannot reach its egress topic: missing, not writable, or too large for it. */
    public static final String DELIVERY = "delivery";

    public Violation(Rule rule, String code, String detail) {
        this(rule, rule == null ? ROUTE : rule.id(), code, detail);
    }

    static Violation delivery(String code, String detail) {
        return new Violation(null, DELIVERY, code, detail);
    }
}
