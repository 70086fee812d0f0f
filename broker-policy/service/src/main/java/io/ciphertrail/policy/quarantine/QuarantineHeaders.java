package io.ciphertrail.policy.quarantine;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers the gate adds to a quarantined record, after the record's own headers, which stay as
 * they were. All values are UTF-8 text. Replay removes exactly these and nothing else.
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

    private QuarantineHeaders() {
    }

    /** The record's own headers followed by the reason headers. */
    public static Headers withReason(Headers original, QuarantineReason reason) {
        Headers headers = new RecordHeaders(original.toArray());
        add(headers, POLICY, reason.policy());
        add(headers, RULE, reason.rule());
        add(headers, REASON, reason.code());
        add(headers, DETAIL, reason.detail());
        add(headers, SOURCE_TOPIC, reason.sourceTopic());
        add(headers, SOURCE_PARTITION, Integer.toString(reason.sourcePartition()));
        add(headers, SOURCE_OFFSET, Long.toString(reason.sourceOffset()));
        add(headers, TIME, Long.toString(reason.time()));
        return headers;
    }

    /** The record's headers as they were before quarantine. */
    public static Headers original(Headers quarantined) {
        Headers headers = new RecordHeaders();
        for (Header header : quarantined) {
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
