package io.ciphertrail.trust.policy;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One rule: {@code effect} (ALLOW or DENY) of {@code operations} on the KEK aliases matching {@code keys},
 * for the principals matching {@code principals}. Patterns are literal but for {@code *} (any characters,
 * '/' included) and {@code ?} (one character), as in KMS key policies.
 */
public record KeyPolicyRule(String name, Effect effect, boolean dryRun, List<String> principals, List<String> keys,
                            Set<KeyPermission> operations) {

    public enum Effect { ALLOW, DENY }

    public KeyPolicyRule {
        principals = List.copyOf(principals);
        keys = List.copyOf(keys);
        operations = Set.copyOf(operations);
    }

    boolean matches(String principal, KeyPermission operation, String alias) {
        return operations.contains(operation) && matchesAny(principals, principal) && matchesAny(keys, alias);
    }

    private static boolean matchesAny(List<String> patterns, String value) {
        for (String pattern : patterns) {
            if (glob(pattern).matcher(value).matches()) {
                return true;
            }
        }
        return false;
    }

    /** Rules are compiled once per policy load, so a cache keyed by pattern text keeps this cheap. */
    private static final java.util.Map<String, Pattern> COMPILED = new java.util.concurrent.ConcurrentHashMap<>();

    static Pattern glob(String pattern) {
        Pattern compiled = COMPILED.get(pattern);
        if (compiled == null) {
            StringBuilder regex = new StringBuilder();
            StringBuilder literal = new StringBuilder();
            for (char c : pattern.toCharArray()) {
                if (c == '*' || c == '?') {
                    if (literal.length() > 0) {
                        regex.append(Pattern.quote(literal.toString()));
                        literal.setLength(0);
                    }
                    regex.append(c == '*' ? ".*" : ".");
                } else {
                    literal.append(c);
                }
            }
            if (literal.length() > 0) {
                regex.append(Pattern.quote(literal.toString()));
            }
            compiled = Pattern.compile(regex.toString(), Pattern.DOTALL);
            if (COMPILED.size() < 10_000) {
                COMPILED.put(pattern, compiled);
            }
        }
        return compiled;
    }
}
