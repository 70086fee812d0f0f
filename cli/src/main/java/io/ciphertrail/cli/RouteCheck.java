package io.ciphertrail.cli;

import io.ciphertrail.policy.rules.PolicyBook;
import io.ciphertrail.policy.rules.Route;
import io.ciphertrail.schemas.policy.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a set of policies would do with the topics that exist, said at apply time instead of record by record in
 * quarantine: a route to an egress topic that does not exist ({@code EGRESS_MISSING}), and a route to a topic the
 * gate reads itself ({@code ROUTING_LOOP}). Warnings only: a topic may be created after its policy.
 */
final class RouteCheck {
    private RouteCheck() {
    }

    static List<String> warnings(Map<String, Object> admin, List<Policy> policies, Pattern ingressPattern) {
        Set<String> topics = Topics.names(admin);
        PolicyBook book = new PolicyBook(policies);
        Set<String> ingress = new TreeSet<>();
        topics.stream().filter(topic -> ingressPattern.matcher(topic).matches()).forEach(ingress::add);
        policies.stream().filter(policy -> !policy.getIngressIsPattern()).forEach(policy -> ingress.add(policy.getIngress()));
        List<String> warnings = new ArrayList<>();
        for (String topic : ingress) {
            Optional<Route> route = book.routeFor(topic);
            if (route.isEmpty()) {
                continue;
            }
            String egress = route.get().egressTopic();
            String policy = route.get().policy().getName();
            if (ingressPattern.matcher(egress).matches()) {
                warnings.add("policy '" + policy + "' routes " + topic + " to '" + egress + "', which the gate reads itself:"
                        + " its records would be quarantined as ROUTING_LOOP; fix the policy's 'to'");
            } else if (!topics.contains(egress)) {
                warnings.add("policy '" + policy + "' routes " + topic + " to '" + egress + "', which does not exist:"
                        + " its records are quarantined as EGRESS_MISSING until it is created");
            }
        }
        return warnings;
    }
}
