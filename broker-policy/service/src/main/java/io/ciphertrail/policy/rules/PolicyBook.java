package io.ciphertrail.policy.rules;

import io.ciphertrail.schemas.policy.Policy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An immutable snapshot of the published policies, answering "which route does a record from this
 * ingress topic take?". An exact ingress name wins over patterns; among patterns the first by
 * policy name wins, so every instance resolves the same way.
 */
public final class PolicyBook {
    public static final PolicyBook EMPTY = new PolicyBook(List.of());

    private final Map<String, Policy> exact = new HashMap<>();
    private final List<Map.Entry<Pattern, Policy>> patterns = new ArrayList<>();
    private final Map<String, Optional<Route>> resolved = new ConcurrentHashMap<>();
    private final List<Policy> policies;

    public PolicyBook(Collection<Policy> policies) {
        List<Policy> sorted = new ArrayList<>(policies);
        sorted.sort(Comparator.comparing(Policy::getName));
        this.policies = List.copyOf(sorted);
        for (Policy policy : sorted) {
            if (policy.getIngressIsPattern()) {
                patterns.add(Map.entry(Pattern.compile(policy.getIngress()), policy));
            } else {
                exact.putIfAbsent(policy.getIngress(), policy);
            }
        }
    }

    /** The route for records read from {@code ingressTopic}, if any policy covers it. */
    public Optional<Route> routeFor(String ingressTopic) {
        return resolved.computeIfAbsent(ingressTopic, this::resolve);
    }

    public List<Policy> policies() {
        return policies;
    }

    private Optional<Route> resolve(String topic) {
        Policy policy = exact.get(topic);
        if (policy != null) {
            return Optional.of(new Route(policy, topic, policy.getEgress()));
        }
        for (Map.Entry<Pattern, Policy> entry : patterns) {
            Matcher matcher = entry.getKey().matcher(topic);
            if (matcher.matches()) {
                return Optional.of(new Route(entry.getValue(), topic, expand(entry.getValue().getEgress(), matcher)));
            }
        }
        return Optional.empty();
    }

    /** Replaces $1, $2 ... with the pattern's groups. */
    private static String expand(String template, Matcher matcher) {
        StringBuilder egress = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == '$' && i + 1 < template.length() && Character.isDigit(template.charAt(i + 1))) {
                int group = template.charAt(++i) - '0';
                egress.append(group <= matcher.groupCount() ? matcher.group(group) : "");
            } else {
                egress.append(c);
            }
        }
        return egress.toString();
    }
}
