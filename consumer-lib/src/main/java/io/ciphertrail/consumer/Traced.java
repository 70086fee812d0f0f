package io.ciphertrail.consumer;

import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.MDC;

/**
 * Runs record handling with the record's trace ID in the SLF4J MDC as {@code trace_id} (and, for a
 * record delivered by a share group, its delivery count as {@code delivery_count}), so every log line
 * written while handling it can be found by the trace ID; the previous values are restored after.
 */
public final class Traced {
    public static final String MDC_KEY = "trace_id";
    public static final String DELIVERY_COUNT_MDC_KEY = "delivery_count";

    private Traced() {
    }

    public static <K, V> void handle(ConsumerRecord<K, V> record, Consumer<ConsumerRecord<K, V>> handler) {
        String previousTrace = MDC.get(MDC_KEY);
        String previousCount = MDC.get(DELIVERY_COUNT_MDC_KEY);
        put(MDC_KEY, SecureConsumer.traceId(record).orElse(null));
        put(DELIVERY_COUNT_MDC_KEY, record.deliveryCount().map(String::valueOf).orElse(null));
        try {
            handler.accept(record);
        } finally {
            put(MDC_KEY, previousTrace);
            put(DELIVERY_COUNT_MDC_KEY, previousCount);
        }
    }

    private static void put(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }
}
