package io.ciphertrail.policy.gate;

import io.ciphertrail.policy.audit.AuditCodec;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.RecordInfo;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Writes the audit trail of each record through the gate, keyed by trace ID, in the same transaction
 * as the record itself: RECORD_ACCEPTED when it is read, then RECORD_FORWARDED or RECORD_QUARANTINED,
 * and RECORD_POLICY_WARNING for each permissive rule it broke. Together with the producer's and
 * consumer's trace ID, an event's whole path can be shown from its trace ID alone.
 */
public final class GateAudit {
    public static final String EVENT_TYPE = "io.ciphertrail.gate/record";

    private final String auditTopic;
    private final String source;

    /** @param source CloudEvents source of this service, e.g. {@code ciphertrail://policy-service/<application.id>} */
    public GateAudit(String auditTopic, String source) {
        this.auditTopic = auditTopic;
        this.source = source;
    }

    void record(ProcessorContext<byte[], GateOutput> context, Record<byte[], byte[]> record, RecordMetadata from, Verdict verdict) {
        long now = context.currentSystemTimeMs();
        String traceId = verdict.traceId().orElse("");
        emit(context, now, traceId, event(now, traceId, AuditEventType.RECORD_ACCEPTED, verdict, from, null, null));
        for (Violation warning : verdict.warnings()) {
            emit(context, now, traceId, event(now, traceId, AuditEventType.RECORD_POLICY_WARNING, verdict, from,
                    verdict.route().map(r -> r.egressTopic()).orElse(null), warning));
        }
        if (verdict.forwarded()) {
            emit(context, now, traceId, event(now, traceId, AuditEventType.RECORD_FORWARDED, verdict, from,
                    verdict.route().orElseThrow().egressTopic(), null));
        } else {
            emit(context, now, traceId, event(now, traceId, AuditEventType.RECORD_QUARANTINED, verdict, from, null,
                    verdict.quarantine().get()));
        }
    }

    private void emit(ProcessorContext<byte[], GateOutput> context, long now, String traceId, AuditEvent event) {
        context.forward(new Record<>(traceId.isEmpty() ? null : traceId.getBytes(StandardCharsets.US_ASCII),
                new GateOutput(auditTopic, AuditCodec.encode(event)), now));
    }

    private AuditEvent event(long now, String traceId, AuditEventType type, Verdict verdict, RecordMetadata from,
                             String destination, Violation violation) {
        return recordEvent(source, now, traceId, type, new RecordInfo(traceId, verdict.policyName(), from.topic(), from.partition(),
                from.offset(), destination, violation == null ? null : violation.ruleName(),
                violation == null ? null : violation.code(), violation == null ? null : violation.detail()));
    }

    /** An audit event about one record; also used for replays. */
    public static AuditEvent recordEvent(String source, long time, String traceId, AuditEventType type, RecordInfo info) {
        return AuditEvent.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setSource(source)
                .setType(EVENT_TYPE)
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
