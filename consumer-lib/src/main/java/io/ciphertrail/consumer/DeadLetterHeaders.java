package io.ciphertrail.consumer;

/**
 * Headers added to a record written to the dead-letter topic, after its own headers, which stay as
 * they were. Values are UTF-8 text and never contain record content.
 */
public final class DeadLetterHeaders {
    public static final String PREFIX = "ciphertrail.dlq.";
    public static final String REASON = PREFIX + "reason";
    public static final String DETAIL = PREFIX + "detail";
    public static final String TOPIC = PREFIX + "topic";
    public static final String PARTITION = PREFIX + "partition";
    public static final String OFFSET = PREFIX + "offset";
    /** The consumer group (or share group) that set the record aside. */
    public static final String GROUP = PREFIX + "group";
    /** How many times a share group had delivered the record, this delivery included; absent for ordered consumers. */
    public static final String DELIVERY_COUNT = PREFIX + "delivery.count";
    public static final String TIME = PREFIX + "time";
    /**
     * The record's trace ID: its {@code traceparent} header's, or else the one bound in its envelope or delete proof
     * (records of envelope version 2 usually travel without the header). Absent when the record has no trace.
     */
    public static final String TRACE_ID = PREFIX + "trace-id";

    private DeadLetterHeaders() {
    }
}
