package io.ciphertrail.policy.quarantine;

import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * A record read back from the quarantine topic, with its reason headers decoded.
 *
 * @param reference what the record says about its original when it is a reference (too large to copy)
 */
public record QuarantinedRecord(ConsumerRecord<byte[], byte[]> record, QuarantineReason reason, Optional<OriginalReference> reference) {

    public static QuarantinedRecord of(ConsumerRecord<byte[], byte[]> record) {
        Headers headers = record.headers();
        Optional<OriginalReference> reference = QuarantineHeaders.REFERENCE.equals(QuarantineHeaders.text(headers, QuarantineHeaders.COPY))
                ? Optional.of(new OriginalReference(parseLong(QuarantineHeaders.text(headers, QuarantineHeaders.RECORD_BYTES)),
                        parseLong(QuarantineHeaders.text(headers, QuarantineHeaders.VALUE_BYTES)),
                        String.valueOf(QuarantineHeaders.text(headers, QuarantineHeaders.VALUE_SHA256)),
                        String.valueOf(QuarantineHeaders.text(headers, QuarantineHeaders.KEY_SHA256))))
                : Optional.empty();
        return new QuarantinedRecord(record, new QuarantineReason(
                QuarantineHeaders.text(headers, QuarantineHeaders.POLICY),
                QuarantineHeaders.text(headers, QuarantineHeaders.RULE),
                QuarantineHeaders.text(headers, QuarantineHeaders.REASON),
                QuarantineHeaders.text(headers, QuarantineHeaders.DETAIL),
                QuarantineHeaders.text(headers, QuarantineHeaders.SOURCE_TOPIC),
                (int) parseLong(QuarantineHeaders.text(headers, QuarantineHeaders.SOURCE_PARTITION)),
                parseLong(QuarantineHeaders.text(headers, QuarantineHeaders.SOURCE_OFFSET)),
                parseLong(QuarantineHeaders.text(headers, QuarantineHeaders.TIME))), reference);
    }

    /** The record's own headers, without the gate's. */
    public Headers originalHeaders() {
        return QuarantineHeaders.original(record.headers());
    }

    /** Where the original was read, as {@code topic-partition@offset}. */
    public String origin() {
        return reason.sourceTopic() + "-" + reason.sourcePartition() + "@" + reason.sourceOffset();
    }

    /**
     * The record's trace ID: its {@code traceparent} header's, or else the one bound in its envelope (or delete proof),
     * where records of envelope version 2 usually carry it.
     */
    public Optional<String> traceId() {
        return EnvelopeDecryptor.traceId(originalHeaders(), record.value());
    }

    private static long parseLong(String text) {
        try {
            return text == null ? -1 : Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
