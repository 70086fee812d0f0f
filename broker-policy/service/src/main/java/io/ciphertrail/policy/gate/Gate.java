package io.ciphertrail.policy.gate;

import io.ciphertrail.core.envelope.DeleteProof;
import io.ciphertrail.core.envelope.Envelope;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import io.ciphertrail.core.envelope.EnvelopeException;
import io.ciphertrail.core.envelope.RecordBinding;
import io.ciphertrail.core.envelope.TopicBinding;
import io.ciphertrail.core.trace.TraceContext;
import io.ciphertrail.policy.rules.PolicyBook;
import io.ciphertrail.policy.rules.Route;
import io.ciphertrail.policy.rules.Rule;
import io.ciphertrail.schemas.policy.RuleMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The checks of the policy gate, on what can be checked without keys: a route exists, the record
 * fits the size limit, it is a Ciphertrail envelope of a known version, it is encrypted for the
 * route's egress topic under that topic's KEK (by name in version 1, by fingerprint in version 2), and it carries a
 * trace: one bound in its envelope, and a {@code traceparent} header, if it has one, that is well formed and agrees
 * with it (or, for a record whose envelope binds none, a well-formed header). A delete (null value) must carry a {@link DeleteProof} for the egress topic,
 * under its KEK and for the record's key, unless plain deletes are accepted for that topic. Pure: no Kafka,
 * no state, so every decision can be tested directly.
 */
public final class Gate {
    private final EnvelopeConfig envelope;
    private final Pattern ingressPattern;
    private final Predicate<String> reservedTopics;

    /**
     * @param envelope       the envelope settings producers and consumers use: which KEK alias each topic's records
     *                       are wrapped under ({@code ciphertrail.envelope.kek.alias.*}) and which topics accept plain deletes
     * @param ingressPattern the topics the gate reads: an egress topic matching it would be a routing loop
     * @param reservedTopics the platform's own topics (quarantine, audit, policies, ...), never an egress
     */
    public Gate(EnvelopeConfig envelope, Pattern ingressPattern, Predicate<String> reservedTopics) {
        this.envelope = envelope;
        this.ingressPattern = ingressPattern;
        this.reservedTopics = reservedTopics;
    }

    public Gate(EnvelopeConfig envelope, Pattern ingressPattern) {
        this(envelope, ingressPattern, topic -> false);
    }

    /** A gate for producers that use {@code kekAliasTemplate} and no other envelope setting. */
    public Gate(String kekAliasTemplate, Pattern ingressPattern) {
        this(new EnvelopeConfig(Map.of(EnvelopeConfig.KEK_ALIAS_TEMPLATE_CONFIG, kekAliasTemplate)), ingressPattern);
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

        Envelope sealed = null;
        DeleteProof proof = null;
        if (route.mode(Rule.ENVELOPE) != RuleMode.OFF) {
            try {
                if (value != null) {
                    sealed = Envelope.parse(value, ingressTopic);
                } else {
                    proof = deleteProof(headers, route.egressTopic(), ingressTopic);
                }
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

        RecordBinding bound = sealed != null ? sealed.binding() : proof != null ? proof.binding() : null;
        if (bound != null) {
            TopicBinding expected = envelope.kekAliases().binding(route.egressTopic());
            String made = sealed != null ? "encrypted" : "the delete was authenticated";
            Violation binding = null;
            if (!bound.boundTo(expected)) {
                binding = new Violation(Rule.BINDING, "WRONG_TOPIC", made + " for " + bound.boundTopicDescription()
                        + " but this route leads to '" + route.egressTopic() + "'; its readers could not decrypt it, or should not");
            } else if (!bound.wrappedUnder(expected)) {
                binding = new Violation(Rule.BINDING, "WRONG_KEK", made + " under " + bound.kekDescription()
                        + " instead of the egress topic's '" + expected.kekAlias() + "'");
            } else if (proof != null && !proof.boundTo(key)) {
                binding = new Violation(Rule.BINDING, "UNAUTHENTICATED_DELETE", "the delete proof was made for another record key:"
                        + " it was copied onto this delete");
            }
            if (binding != null && enforced(route, Rule.BINDING, binding, warnings)) {
                return quarantined(found, binding, warnings, headers);
            }
        }

        Optional<TraceContext> assigned = Optional.empty();
        Optional<String> traceId;
        if (route.mode(Rule.TRACE) != RuleMode.OFF) {
            Optional<String> boundTrace = bound != null ? bound.boundTraceId() : Optional.empty();
            Header header = headers.lastHeader(TraceContext.HEADER);
            Optional<TraceContext> trace = header == null || header.value() == null
                    ? Optional.empty() : TraceContext.tryParse(new String(header.value(), StandardCharsets.US_ASCII));
            Violation traceViolation = null;
            if (header == null && boundTrace.isEmpty()) {
                traceViolation = new Violation(Rule.TRACE, "MISSING_TRACE", "the record has no traceparent header and its envelope binds"
                        + " no trace");
            } else if (header != null && trace.isEmpty()) {
                traceViolation = new Violation(Rule.TRACE, "MALFORMED_TRACE", "the traceparent header is not a W3C trace context");
            } else if (header != null && boundTrace.isPresent() && !boundTrace.get().equals(trace.get().traceId())) {
                traceViolation = new Violation(Rule.TRACE, "TRACE_MISMATCH", "traceparent carries trace " + trace.get().traceId()
                        + " but the record was encrypted with trace " + boundTrace.get());
            }
            if (traceViolation != null) {
                if (enforced(route, Rule.TRACE, traceViolation, warnings)) {
                    return quarantined(found, traceViolation, warnings, headers);
                }
                // Permissive: give the record a usable trace, the one bound in its envelope when there is one.
                assigned = Optional.of(bound != null ? bound.restoredTrace().orElseGet(TraceContext::newTrace) : TraceContext.newTrace());
                traceId = assigned.map(TraceContext::traceId);
            } else {
                // Records of envelope version 2 usually carry their trace in the envelope only; readers restore the header.
                traceId = header != null ? trace.map(TraceContext::traceId) : boundTrace;
            }
        } else {
            traceId = EnvelopeDecryptor.traceId(headers, value);
        }
        return new Verdict(found, Optional.empty(), warnings, assigned, traceId);
    }

    /**
     * The proof a delete carries, checked for form only (the gate holds no keys; readers check its tag).
     *
     * @return null for a plain delete on a topic that accepts them
     * @throws EnvelopeException {@code UNAUTHENTICATED_DELETE} for a plain delete elsewhere, or why the proof is unreadable
     */
    private DeleteProof deleteProof(Headers headers, String egressTopic, String ingressTopic) {
        Header header = headers.lastHeader(DeleteProof.HEADER);
        if (header == null || header.value() == null) {
            if (envelope.acceptsPlainDeletes(egressTopic)) {
                return null;
            }
            throw new EnvelopeException(EnvelopeException.Reason.UNAUTHENTICATED_DELETE, ingressTopic,
                    "no " + DeleteProof.HEADER + " header; the service accepts plain deletes only for topics in "
                            + EnvelopeConfig.PLAIN_DELETES_TOPICS_CONFIG);
        }
        return DeleteProof.parse(header.value(), ingressTopic);
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
