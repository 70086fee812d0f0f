package io.ciphertrail.policy.gate;

import io.ciphertrail.policy.rules.Rule;

/**
 * A rule a record broke.
 *
 * @param rule   the rule, or null for a failure outside the rules (no route, a gate error)
 * @param code   stable reason code, e.g. NOT_ENCRYPTED, WRONG_TOPIC, MISSING_TRACE
 * @param detail a sentence an operator can act on; never record content
 */
public record Violation(Rule rule, String code, String detail) {

    /** The rule's name for headers, metrics and audit events. */
    public String ruleName() {
        return rule == null ? "route" : rule.id();
    }
}
