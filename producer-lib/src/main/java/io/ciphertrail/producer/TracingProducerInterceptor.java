package io.ciphertrail.producer;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Gives each record a W3C {@code traceparent} before it is serialized, for producers whose values are
 * not encrypted by {@link SecureSerializer} but should still be followed
 * ({@code interceptor.classes=io.ciphertrail.producer.TracingProducerInterceptor}).
 */
public class TracingProducerInterceptor<K, V> implements ProducerInterceptor<K, V> {

    @Override
    public ProducerRecord<K, V> onSend(ProducerRecord<K, V> record) {
        TraceStamper.ensure(record.headers());
        return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}
