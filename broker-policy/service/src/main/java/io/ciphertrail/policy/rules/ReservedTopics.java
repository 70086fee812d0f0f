package io.ciphertrail.policy.rules;

import java.util.Collection;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The platform's own topics: the quarantine, trail, audit, policies, alerts and blocks topics, the policy service's
 * Kafka Streams topics ({@code <application.id>-...}) and Kafka's ({@code __...}). No route may lead to one
 * and replay never writes to one: a record written there would pass for the platform's own.
 */
public final class ReservedTopics implements Predicate<String> {
    private final Set<String> names;
    private final String applicationPrefix;

    public ReservedTopics(Collection<String> names, String applicationId) {
        this.names = Set.copyOf(names);
        this.applicationPrefix = applicationId + "-";
    }

    @Override
    public boolean test(String topic) {
        return names.contains(topic) || topic.startsWith(applicationPrefix) || topic.startsWith("__");
    }

    public Set<String> names() {
        return names;
    }
}
