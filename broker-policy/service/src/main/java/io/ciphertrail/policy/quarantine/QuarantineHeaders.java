package io.ciphertrail.policy.quarantine;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers the gate adds to a quarantined record, after the record's own headers, which stay as
 * they were. All values are UTF-8 text. {@link #ORIGINAL_HEADERS} says how many of the record's headers
 * come first, so the gate's block is told apart from anything a producer put in its own headers, however
 * they are named; the gate's values are always the last of their name.
 */
public final class QuarantineHeaders {
    public static final String PREFIX = "ciphertrail.quarantine.";
    public static final String POLICY = PREFIX + "policy";
    public static final String RULE = PREFIX + "rule";
    public static final String REASON = PREFIX + "reason";
    public static final String DETAIL = PREFIX + "detail";
    public static final String SOURCE_TOPIC = PREFIX + "source.topic";
    public static final String SOURCE_PARTITION = PREFIX + "source.partition";
    public static final String SOURCE_OFFSET = PREFIX + "source.offset";
    public static final String TIME = PREFIX + "time";
    /** How many of the record's own headers precede the gate's. */
    public static final String ORIGINAL_HEADERS = PREFIX + "original.headers";
    /** {@code full}: key, value and headers are the original's; {@code reference}: the record was too large to copy. */
    public static final String COPY = PREFIX + "copy";
    /** For a reference: the original's size (key, value and headers in a batch of its own). */
    public static final String RECORD_BYTES = PREFIX + "record.bytes";
    /** For a reference: the original value's length and SHA-256 (hex), and the SHA-256 of its key. */
    public static final String VALUE_BYTES = PREFIX + "value.bytes";
    public static final String VALUE_SHA256 = PREFIX + "value.sha256";
    public static final String KEY_SHA256 = PREFIX + "key.sha256";

    static final String FULL = "full";
    static final String REFERENCE = "reference";
    /** Details are sentences for people; a bound keeps the block small next to any record. */
    static final int MAX_DETAIL_LENGTH = 1_000;

    private QuarantineHeaders() {
    }

    /** The record's own headers followed by the reason headers of a whole copy. */
    public static Headers withReason(Headers original, QuarantineReason reason) {
        Headers headers = block(original, reason);
        add(headers, COPY, FULL);
        return headers;
    }

    /** The reason headers of a reference, after those of the original's headers that are kept. */
    static Headers withReference(Headers kept, QuarantineReason reason, OriginalReference reference) {
        Headers headers = block(kept, reason);
        add(headers, COPY, REFERENCE);
        add(headers, RECORD_BYTES, Long.toString(reference.recordBytes()));
        add(headers, VALUE_BYTES, Long.toString(reference.valueBytes()));
        add(headers, VALUE_SHA256, reference.valueSha256());
        add(headers, KEY_SHA256, reference.keySha256());
        return headers;
    }

    private static Headers block(Headers original, QuarantineReason reason) {
        Header[] own = original.toArray();
        Headers headers = new RecordHeaders(own);
        add(headers, ORIGINAL_HEADERS, Integer.toString(own.length));
        add(headers, POLICY, reason.policy());
        add(headers, RULE, reason.rule());
        add(headers, REASON, reason.code());
        String detail = reason.detail() == null ? "" : reason.detail();
        add(headers, DETAIL, detail.length() > MAX_DETAIL_LENGTH ? detail.substring(0, MAX_DETAIL_LENGTH) + "..." : detail);
        add(headers, SOURCE_TOPIC, reason.sourceTopic());
        add(headers, SOURCE_PARTITION, Integer.toString(reason.sourcePartition()));
        add(headers, SOURCE_OFFSET, Long.toString(reason.sourceOffset()));
        add(headers, TIME, Long.toString(reason.time()));
        return headers;
    }

    /**
     * The record's headers as they were before quarantine: the first {@link #ORIGINAL_HEADERS} of them
     * (records quarantined before that header existed: every header outside the gate's prefix).
     */
    public static Headers original(Headers quarantined) {
        Header[] all = quarantined.toArray();
        String count = text(quarantined, ORIGINAL_HEADERS);
        if (count != null) {
            try {
                int n = Integer.parseInt(count);
                if (n >= 0 && n <= all.length) {
                    return new RecordHeaders(Arrays.copyOf(all, n));
                }
            } catch (NumberFormatException e) {
                // not the gate's: fall through to the conservative reading
            }
        }
        Headers headers = new RecordHeaders();
        for (Header header : all) {
            if (!header.key().startsWith(PREFIX)) {
                headers.add(header);
            }
        }
        return headers;
    }

    static String text(Headers headers, String key) {
        Header header = headers.lastHeader(key);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static void add(Headers headers, String key, String value) {
        headers.add(key, (value == null ? "" : value).getBytes(StandardCharsets.UTF_8));
    }
}
