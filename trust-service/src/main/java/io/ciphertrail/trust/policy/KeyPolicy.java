package io.ciphertrail.trust.policy;

import io.ciphertrail.trust.policy.KeyPolicyRule.Effect;
import java.util.List;

/**
 * A loaded key policy: default deny; an enforced DENY rule that matches wins; otherwise the first ALLOW
 * rule that matches allows. In {@link Mode#DRY_RUN} nothing is denied and what would be is reported as
 * {@link Decision#dryRunDenied()}; a DENY rule of its own in DRY_RUN does the same for what it matches.
 */
public record KeyPolicy(Mode mode, List<KeyPolicyRule> rules, String origin) {

    public enum Mode {
        /** Decisions are enforced. */
        ENFORCE,
        /** Decisions are audited, never enforced: see what a new policy would deny before it does. */
        DRY_RUN
    }

    /** Denies everything: what a service without a policy file enforces. */
    public static final KeyPolicy DENY_ALL = new KeyPolicy(Mode.ENFORCE, List.of(), "no key policy");

    public KeyPolicy {
        rules = List.copyOf(rules);
    }

    public Decision decide(String principal, KeyPermission permission, String alias) {
        KeyPolicyRule enforcedDeny = null;
        KeyPolicyRule dryRunDeny = null;
        KeyPolicyRule allow = null;
        for (KeyPolicyRule rule : rules) {
            if (!rule.matches(principal, permission, alias)) {
                continue;
            }
            if (rule.effect() == Effect.DENY) {
                if (rule.dryRun() && dryRunDeny == null) {
                    dryRunDeny = rule;
                } else if (!rule.dryRun() && enforcedDeny == null) {
                    enforcedDeny = rule;
                }
            } else if (allow == null) {
                allow = rule;
            }
        }
        String ask = "ask for " + permission + " on " + alias + " in the key policy";
        Decision decision;
        if (enforcedDeny != null) {
            decision = new Decision(false, false, enforcedDeny.name(), principal + " may not " + permission + " with " + alias
                    + ": rule '" + enforcedDeny.name() + "' of the key policy denies it");
        } else if (allow == null) {
            decision = new Decision(false, false, "", principal + " may not " + permission + " with " + alias
                    + ": no rule of the key policy allows it; " + ask);
        } else if (dryRunDeny != null) {
            return new Decision(true, true, dryRunDeny.name(), principal + " would be denied " + permission + " with " + alias
                    + " by rule '" + dryRunDeny.name() + "' (DRY_RUN: allowed by rule '" + allow.name() + "')");
        } else {
            return new Decision(true, false, allow.name(), "allowed by rule '" + allow.name() + "'");
        }
        if (mode == Mode.DRY_RUN) {
            return new Decision(true, true, decision.rule(), "DRY_RUN, not enforced: " + decision.reason());
        }
        return decision;
    }
}
