package io.ciphertrail.core.envelope;

import io.ciphertrail.core.trace.TraceContext;
import java.util.Arrays;
import org.apache.kafka.common.header.Header;

/**
 * The {@code traceparent} header a reader gives back from a version 2 envelope, formatted when first read: a consumer
 * restores it on every record, while most applications read it on few of them (formatting it took a tenth of
 * decrypting a 1 KiB record). Reads the binary trace context in the envelope's bytes, which nothing changes after
 * they were verified. Equal to, and with the hash code of, Kafka's own header of the same key and value.
 */
final class RestoredTraceHeader implements Header {
    private final byte[] envelope;
    private final int offset;
    /** Formatted once; a race formats it twice, to equal values. */
    private volatile byte[] value;

    RestoredTraceHeader(byte[] envelope, int offset) {
        this.envelope = envelope;
        this.offset = offset;
    }

    @Override
    public String key() {
        return TraceContext.HEADER;
    }

    @Override
    public byte[] value() {
        byte[] formatted = value;
        if (formatted == null) {
            formatted = TraceContext.headerValue(envelope, offset);
            value = formatted;
        }
        return formatted;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Header header && key().equals(header.key()) && Arrays.equals(value(), header.value());
    }

    @Override
    public int hashCode() {
        return 31 * key().hashCode() + Arrays.hashCode(value());
    }

    @Override
    public String toString() {
        return "RecordHeader(key = " + key() + ", value = " + Arrays.toString(value()) + ")";
    }
}
