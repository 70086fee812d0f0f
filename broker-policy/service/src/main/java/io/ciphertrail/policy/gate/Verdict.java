package io.ciphertrail.policy.gate;

import io.ciphertrail.core.trace.TraceContext;
import io.ciphertrail.policy.rules.Route;
import java.util.List;
import java.util.Optional;

/**
 * What the gate decided for one record: forward it to the route's egress topic, or quarantine it for
 * the first enforced violation. Violations of permissive rules are listed as warnings either way.
 *
 * @param route         the route, if a policy covers the ingress topic
 * @param quarantine    the enforced violation that sends the record to quarantine, if any
 * @param warnings      violations of permissive rules: forwarded, but recorded
 * @param assignedTrace a trace the gate gave a record that lacked one (permissive trace rule)
 * @param traceId       the record's trace ID after the gate, if it has one
 */
public record Verdict(Optional<Route> route, Optional<Violation> quarantine, List<Violation> warnings,
                      Optional<TraceContext> assignedTrace, Optional<String> traceId) {

    public boolean forwarded() {
        return quarantine.isEmpty();
    }

    /** This verdict, but quarantined for {@code violation}: the record passed the rules yet cannot be delivered. */
    Verdict quarantinedFor(Violation violation) {
        return new Verdict(route, Optional.of(violation), warnings, Optional.empty(), traceId);
    }

    public String policyName() {
        return route.map(Route::policyName).orElse("");
    }
}
