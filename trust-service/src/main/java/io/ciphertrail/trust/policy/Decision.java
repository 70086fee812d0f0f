package io.ciphertrail.trust.policy;

/**
 * What the key policy says about one operation.
 *
 * @param allowed      whether the operation goes ahead
 * @param dryRunDenied the policy would deny it but a DRY_RUN mode or rule kept it from doing so
 * @param rule         the rule that decided (or would have denied); empty when no rule matched (default deny)
 * @param reason       why, for the audit trail and the caller's error
 */
public record Decision(boolean allowed, boolean dryRunDenied, String rule, String reason) {
}
