package io.ciphertrail.policy.gate;

import io.ciphertrail.core.envelope.Envelope;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import io.ciphertrail.core.envelope.EnvelopeException;
import io.ciphertrail.core.trace.TraceContext;
import io.ciphertrail.policy.rules.PolicyBook;
import io.ciphertrail.policy.rules.Route;
import io.ciphertrail.policy.rules.Rule;
import io.ciphertrail.schemas.policy.RuleMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The checks of the policy gate, on what can be checked without keys: a route exists, the record
 * fits the size limit, it is a Ciphertrail envelope of a known version, it is encrypted for the
 * route's egress topic under that topic's KEK, and it carries a well-formed trace that agrees with the
 * trace bound in the envelope. Pure: no Kafka, no state, so every decision can be tested directly.
 */
public final class Gate {
    private final String kekAliasTemplate;
    private final Pattern ingressPattern;
    private final Predicate<String> reservedTopics;

    public Gate(String kekAliasTemplate, Pattern ingressPattern) {
        this(kekAliasTemplate, ingressPattern, topic -> false);
    }

    /**
     * @param kekAliasTemplate the KEK alias template producers use ({@code ciphertrail.envelope.kek.alias.template})
     * @param ingressPattern   the topics the gate reads: an egress topic matching it would be a routing loop
     * @param reservedTopics   the platform's own topics (quarantine, audit, policies, ...), never an egress
     */
    public Gate(String kekAliasTemplate, Pattern ingressPattern, Predicate<String> reservedTopics) {
        this.kekAliasTemplate = kekAliasTemplate;
        this.ingressPattern = ingressPattern;
        this.reservedTopics = reservedTopics;
    }

    public Verdict check(String ingressTopic, Headers headers, byte[] key, byte[] value, PolicyBook policies) {
        Verdict verdict = decide(ingressTopic, headers, key, value, policies);
        if (verdict.traceId().isEmpty()) {
            // A quarantined record is still followed by its trace: the header's, or the one bound in its envelope.
            return new Verdict(verdict.route(), verdict.quarantine(), verdict.warnings(), verdict.assignedTrace(),
                    EnvelopeDecryptor.traceId(headers, value));
        }
        return verdict;
    }

    private Verdict decide(String ingressTopic, Headers headers, byte[] key, byte[] value, PolicyBook policies) {
        Optional<Route> found = policies.routeFor(ingressTopic);
        if (found.isEmpty()) {
            return quarantined(Optional.empty(), new Violation(null, "NO_POLICY", "no policy routes topic '" + ingressTopic
                    + "'; publish one (ciphertrail policy apply) and replay the record"), List.of(), headers);
        }
        Route route = found.get();
        if (ingressPattern.matcher(route.egressTopic()).matches()) {
            return quarantined(found, new Violation(null, "ROUTING_LOOP", "policy '" + route.policyName() + "' routes to '"
                    + route.egressTopic() + "', which the gate reads itself; fix the policy's 'to'"), List.of(), headers);
        }
        if (reservedTopics.test(route.egressTopic())) {
            return quarantined(found, new Violation(null, "RESERVED_EGRESS", "policy '" + route.policyName() + "' routes to '"
                    + route.egressTopic() + "', one of the platform's own topics (quarantine, audit, policies, alerts, the service's"
                    + " internal topics), which no route may write to; fix the policy's 'to'"), List.of(), headers);
        }

        List<Violation> warnings = new ArrayList<>();
        long size = size(key, value, headers);
        if (size > route.maxRecordBytes()) {
            Violation tooLarge = new Violation(Rule.SIZE, "TOO_LARGE", "record of " + size + " bytes exceeds the policy's limit of "
                    + route.maxRecordBytes());
            if (enforced(route, Rule.SIZE, tooLarge, warnings)) {
                return quarantined(found, tooLarge, warnings, headers);
            }
        }

        Envelope envelope = null;
        if (value != null && route.mode(Rule.ENVELOPE) != RuleMode.OFF) {
            try {
                envelope = Envelope.parse(value, ingressTopic);
            } catch (EnvelopeException e) {
                Violation invalid = new Violation(Rule.ENVELOPE, e.reason().name(), e.reason() == EnvelopeException.Reason.NOT_ENCRYPTED
                        ? "the record is not a Ciphertrail envelope: its producer did not encrypt it. Encrypt it there"
                                + " (SecureProducer or SecureSerializer), then replay it"
                        : e.reason().explanation() + (e.detail() == null ? "" : " (" + e.detail() + ")"));
                if (enforced(route, Rule.ENVELOPE, invalid, warnings)) {
                    return quarantined(found, invalid, warnings, headers);
                }
            }
        }

        if (envelope != null) {
            Violation binding = null;
            String expectedAlias = kekAliasTemplate.replace("${topic}", route.egressTopic());
            if (!envelope.boundTopic().equals(route.egressTopic())) {
                binding = new Violation(Rule.BINDING, "WRONG_TOPIC", "encrypted for topic '" + envelope.boundTopic()
                        + "' but this route leads to '" + route.egressTopic() + "'; its readers could not decrypt it, or should not");
            } else if (!envelope.kek().alias().equals(expectedAlias)) {
                binding = new Violation(Rule.BINDING, "WRONG_KEK", "encrypted under KEK '" + envelope.kek().alias()
                        + "' instead of the egress topic's '" + expectedAlias + "'");
            }
            if (binding != null && enforced(route, Rule.BINDING, binding, warnings)) {
                return quarantined(found, binding, warnings, headers);
            }
        }

        Optional<TraceContext> assigned = Optional.empty();
        Optional<String> traceId = Optional.empty();
        if (route.mode(Rule.TRACE) != RuleMode.OFF) {
            Optional<String> bound = envelope == null ? Optional.empty() : envelope.boundTraceId();
            Header header = headers.lastHeader(TraceContext.HEADER);
            Optional<TraceContext> trace = header == null || header.value() == null
                    ? Optional.empty() : TraceContext.tryParse(new String(header.value(), StandardCharsets.US_ASCII));
            Violation traceViolation = null;
            if (header == null) {
                traceViolation = new Violation(Rule.TRACE, "MISSING_TRACE", "the record has no traceparent header");
            } else if (trace.isEmpty()) {
                traceViolation = new Violation(Rule.TRACE, "MALFORMED_TRACE", "the traceparent header is not a W3C trace context");
            } else if (bound.isPresent() && !bound.get().equals(trace.get().traceId())) {
                traceViolation = new Violation(Rule.TRACE, "TRACE_MISMATCH", "traceparent carries trace " + trace.get().traceId()
                        + " but the record was encrypted with trace " + bound.get());
            }
            if (traceViolation != null) {
                if (enforced(route, Rule.TRACE, traceViolation, warnings)) {
                    return quarantined(found, traceViolation, warnings, headers);
                }
                // Permissive: give the record a usable trace, the one bound in its envelope when there is one.
                TraceContext fresh = TraceContext.newTrace();
                assigned = Optional.of(bound.map(id -> new TraceContext(id, fresh.parentId(), fresh.flags())).orElse(fresh));
                traceId = assigned.map(TraceContext::traceId);
            } else {
                traceId = trace.map(TraceContext::traceId);
            }
        } else {
            traceId = TraceContext.fromHeaders(headers).map(TraceContext::traceId);
        }
        return new Verdict(found, Optional.empty(), warnings, assigned, traceId);
    }

    /** True when the rule is enforced; a permissive violation is added to the warnings instead. */
    private static boolean enforced(Route route, Rule rule, Violation violation, List<Violation> warnings) {
        RuleMode mode = route.mode(rule);
        if (mode == RuleMode.PERMISSIVE) {
            warnings.add(violation);
        }
        return mode == RuleMode.ENFORCE;
    }

    private static Verdict quarantined(Optional<Route> route, Violation violation, List<Violation> warnings, Headers headers) {
        return new Verdict(route, Optional.of(violation), List.copyOf(warnings), Optional.empty(), Optional.empty());
    }

    /** Key, value and headers, as they count toward a broker's message size. */
    static long size(byte[] key, byte[] value, Headers headers) {
        long size = (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        for (Header header : headers) {
            size += header.key().getBytes(StandardCharsets.UTF_8).length + (header.value() == null ? 0 : header.value().length);
        }
        return size;
    }
}
