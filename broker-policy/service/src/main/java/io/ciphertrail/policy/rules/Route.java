package io.ciphertrail.policy.rules;

import io.ciphertrail.schemas.policy.Policy;
import io.ciphertrail.schemas.policy.RuleMode;

/** Where a record from one ingress topic goes, and under which policy. */
public record Route(Policy policy, String ingressTopic, String egressTopic) {

    public String policyName() {
        return policy.getName();
    }

    /** The mode of a rule; rules a policy does not mention are enforced (fail closed). */
    public RuleMode mode(Rule rule) {
        RuleMode mode = policy.getRules().get(rule.id());
        return mode == null ? RuleMode.ENFORCE : mode;
    }

    public long maxRecordBytes() {
        return policy.getMaxRecordBytes();
    }
}
