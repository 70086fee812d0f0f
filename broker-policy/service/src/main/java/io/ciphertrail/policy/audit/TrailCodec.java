package io.ciphertrail.policy.audit;

import io.ciphertrail.schemas.PlatformSchemas;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.RecordInfo;
import io.ciphertrail.schemas.audit.TraceIndexEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Records of the trail topic: full audit events, and the compact {@link TraceIndexEntry} the gate writes for a
 * forwarded record, which a reader expands into the RECORD_FORWARDED event it stands for. Both are Avro
 * single-object encoded; the schema fingerprint tells them apart.
 */
public final class TrailCodec {
    /** CloudEvents type of the gate's record events. */
    public static final String RECORD_EVENT_TYPE = "io.ciphertrail.gate/record";
    /** Source of an expanded index entry, which does not say which service instance wrote it. */
    public static final String INDEX_SOURCE = "ciphertrail://policy-service";

    static {
        PlatformSchemas.trust();
    }

    private TrailCodec() {
    }

    public static byte[] encode(TraceIndexEntry entry) {
        try {
            return bytes(entry.toByteBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode the trace index entry for " + entry.getSourceTopic(), e);
        }
    }

    /**
     * The event a trail record holds: an audit event as written, or the RECORD_FORWARDED event an index entry stands
     * for (its trace ID from the record key, its time from the record timestamp); empty for anything else.
     */
    public static Optional<AuditEvent> decode(byte[] key, byte[] value, long timestamp) {
        Optional<AuditEvent> event = AuditCodec.decode(value);
        if (event.isPresent() || value == null) {
            return event;
        }
        try {
            TraceIndexEntry entry = TraceIndexEntry.fromByteBuffer(ByteBuffer.wrap(value));
            String traceId = key == null ? "" : new String(key, StandardCharsets.US_ASCII);
            return Optional.of(forwarded(entry, traceId, timestamp));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The RECORD_FORWARDED event {@code entry} stands for. */
    static AuditEvent forwarded(TraceIndexEntry entry, String traceId, long timestamp) {
        return AuditEvent.newBuilder()
                .setId(EventIds.forRecord(entry.getSourceTopic(), entry.getSourcePartition(), entry.getSourceOffset()))
                .setSource(INDEX_SOURCE)
                .setType(RECORD_EVENT_TYPE)
                .setTime(Instant.ofEpochMilli(timestamp))
                .setSubject(traceId.isEmpty() ? null : traceId)
                .setEventType(AuditEventType.RECORD_FORWARDED)
                .setRecord(new RecordInfo(traceId, entry.getPolicy(), entry.getSourceTopic(), entry.getSourcePartition(),
                        entry.getSourceOffset(), entry.getDestinationTopic(), null, null, null, List.of()))
                .build();
    }

    static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
