package io.ciphertrail.policy.quarantine;

import io.ciphertrail.core.trace.TraceContext;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** A record read back from the quarantine topic, with its reason headers decoded. */
public record QuarantinedRecord(ConsumerRecord<byte[], byte[]> record, QuarantineReason reason) {

    public static QuarantinedRecord of(ConsumerRecord<byte[], byte[]> record) {
        var headers = record.headers();
        return new QuarantinedRecord(record, new QuarantineReason(
                QuarantineHeaders.text(headers, QuarantineHeaders.POLICY),
                QuarantineHeaders.text(headers, QuarantineHeaders.RULE),
                QuarantineHeaders.text(headers, QuarantineHeaders.REASON),
                QuarantineHeaders.text(headers, QuarantineHeaders.DETAIL),
                QuarantineHeaders.text(headers, QuarantineHeaders.SOURCE_TOPIC),
                parseInt(QuarantineHeaders.text(headers, QuarantineHeaders.SOURCE_PARTITION)),
                parseLong(QuarantineHeaders.text(headers, QuarantineHeaders.SOURCE_OFFSET)),
                parseLong(QuarantineHeaders.text(headers, QuarantineHeaders.TIME))));
    }

    /** The trace ID of the record's {@code traceparent} header, when it has a well-formed one. */
    public Optional<String> traceId() {
        Header header = record.headers().lastHeader(TraceContext.HEADER);
        if (header == null || header.value() == null) {
            return Optional.empty();
        }
        return TraceContext.tryParse(new String(header.value(), java.nio.charset.StandardCharsets.US_ASCII))
                .map(TraceContext::traceId);
    }

    private static int parseInt(String text) {
        try {
            return text == null ? -1 : Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long parseLong(String text) {
        try {
            return text == null ? -1 : Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
