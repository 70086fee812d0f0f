package io.ciphertrail.consumer;

import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.MDC;

/**
 * Runs record handling with the record's trace ID in the SLF4J MDC as {@code trace_id}, so every log
 * line written while handling it can be found by the trace ID; the previous value is restored after.
 */
public final class Traced {
    public static final String MDC_KEY = "trace_id";

    private Traced() {
    }

    public static <K, V> void handle(ConsumerRecord<K, V> record, Consumer<ConsumerRecord<K, V>> handler) {
        String previous = MDC.get(MDC_KEY);
        SecureConsumer.traceId(record).ifPresentOrElse(id -> MDC.put(MDC_KEY, id), () -> MDC.remove(MDC_KEY));
        try {
            handler.accept(record);
        } finally {
            if (previous == null) {
                MDC.remove(MDC_KEY);
            } else {
                MDC.put(MDC_KEY, previous);
            }
        }
    }
}
