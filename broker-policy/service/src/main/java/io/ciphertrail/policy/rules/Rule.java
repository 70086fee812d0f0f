package io.ciphertrail.policy.rules;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The checks the gate can apply to a record. Names are what policy files use. */
public enum Rule {
    /** A Ciphertrail envelope of a version this service knows. */
    ENVELOPE("envelope"),
    /** Encrypted for the route's egress topic, under that topic's key encryption key. */
    BINDING("binding"),
    /** A well-formed W3C traceparent that agrees with the trace bound in the envelope. */
    TRACE("trace"),
    /** Within the policy's maximum record size. */
    SIZE("size");

    private final String id;

    Rule(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Rule of(String id) {
        for (Rule rule : values()) {
            if (rule.id.equals(id.toLowerCase(Locale.ROOT))) {
                return rule;
            }
        }
        throw new IllegalArgumentException("Unknown rule '" + id + "'; rules are: " + ids());
    }

    public static String ids() {
        return Arrays.stream(values()).map(Rule::id).collect(Collectors.joining(", "));
    }
}
