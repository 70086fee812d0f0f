package io.ciphertrail.policy.gate;

import io.ciphertrail.policy.audit.AuditCodec;
import io.ciphertrail.policy.audit.EventIds;
import io.ciphertrail.policy.audit.TrailCodec;
import io.ciphertrail.policy.metrics.ServiceMetrics;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.RecordInfo;
import io.ciphertrail.schemas.audit.RuleWarning;
import io.ciphertrail.schemas.audit.TraceIndexEntry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Writes the trail of each record through the gate to the trail topic, keyed by trace ID, in the same transaction as
 * the record itself: at most one trail record per gated record. An audit event for what an operator acts on
 * (RECORD_QUARANTINED, RECORD_POLICY_WARNING, each listing every permissive rule the record broke); for any other
 * forwarded record a compact {@link TraceIndexEntry} (where it was read, where it went), or with the full trail a
 * RECORD_FORWARDED event. Together with the producer's and consumer's trace ID, a record's whole path is found from its
 * trace ID alone. Event ids are the record's ingress position: no random source per record.
 */
public final class GateTrail {
    private final String trailTopic;
    private final String source;
    private final boolean full;
    private final ServiceMetrics metrics;

    /**
     * @param source CloudEvents source of this service, e.g. {@code ciphertrail://policy-service/<application.id>}
     * @param full   a RECORD_FORWARDED event for every forwarded record, instead of a compact index entry
     */
    public GateTrail(String trailTopic, String source, boolean full, ServiceMetrics metrics) {
        this.trailTopic = trailTopic;
        this.source = source;
        this.full = full;
        this.metrics = metrics;
    }

    void record(ProcessorContext<byte[], GateOutput> context, RecordMetadata from, Verdict verdict) {
        long now = context.currentSystemTimeMs();
        String traceId = verdict.traceId().orElse("");
        byte[] value;
        if (verdict.forwarded() && verdict.warnings().isEmpty() && !full) {
            if (traceId.isEmpty()) {
                return; // nothing to find it by; the metrics count it all the same
            }
            value = TrailCodec.encode(new TraceIndexEntry(verdict.policyName(), from.topic(), from.partition(), from.offset(),
                    verdict.route().orElseThrow().egressTopic()));
            metrics.trailIndexEntry();
        } else {
            value = AuditCodec.encode(event(now, traceId, verdict, from));
            metrics.trailEvent();
        }
        context.forward(new Record<>(traceId.isEmpty() ? null : traceId.getBytes(StandardCharsets.US_ASCII),
                new GateOutput(trailTopic, value), now));
    }

    private AuditEvent event(long now, String traceId, Verdict verdict, RecordMetadata from) {
        List<RuleWarning> warnings = verdict.warnings().stream()
                .map(w -> new RuleWarning(w.ruleName(), w.code(), w.detail())).toList();
        AuditEventType type;
        Optional<Violation> reason;
        String destination;
        if (!verdict.forwarded()) {
            type = AuditEventType.RECORD_QUARANTINED;
            reason = verdict.quarantine();
            destination = null;
        } else {
            type = warnings.isEmpty() ? AuditEventType.RECORD_FORWARDED : AuditEventType.RECORD_POLICY_WARNING;
            reason = verdict.warnings().stream().findFirst();
            destination = verdict.route().orElseThrow().egressTopic();
        }
        RecordInfo info = new RecordInfo(traceId, verdict.policyName(), from.topic(), from.partition(), from.offset(), destination,
                reason.map(Violation::ruleName).orElse(null), reason.map(Violation::code).orElse(null),
                reason.map(Violation::detail).orElse(null), warnings);
        return recordEvent(source, EventIds.forRecord(from.topic(), from.partition(), from.offset()), now, traceId, type, info);
    }

    /** An audit event about one record; also used for replays. */
    public static AuditEvent recordEvent(String source, String id, long time, String traceId, AuditEventType type, RecordInfo info) {
        return AuditEvent.newBuilder()
                .setId(id)
                .setSource(source)
                .setType(TrailCodec.RECORD_EVENT_TYPE)
                .setTime(Instant.ofEpochMilli(time))
                .setSubject(traceId.isEmpty() ? null : traceId)
                .setEventType(type)
                .setRecord(info)
                .build();
    }

    /** The verdict for a record the gate itself failed on: quarantined, never dropped. */
    static Verdict failed(RuntimeException e) {
        return new Verdict(Optional.empty(), Optional.of(new Violation(null, "GATE_ERROR",
                "the gate could not check this record (" + e.getClass().getSimpleName() + "); see the service log")),
                List.of(), Optional.empty(), Optional.empty());
    }
}
