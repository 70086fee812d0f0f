package io.ciphertrail.consumer;

import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes failed records to the dead-letter topic exactly as they were read (key, value, headers and
 * timestamp untouched) plus reason headers (and the record's trace ID, read from its envelope when it has no
 * {@code traceparent}), and waits for the broker's acknowledgement before the
 * consumer moves on, so a failed record is never skipped without a durable copy.
 */
final class DeadLetterWriter implements AutoCloseable {
    private static final long ACK_TIMEOUT_SECONDS = 60;

    private final String topic;
    private final String group;
    private final KafkaProducer<byte[], byte[]> producer;

    DeadLetterWriter(Map<String, Object> consumerConfigs, String topic) {
        this.topic = topic;
        Object groupId = consumerConfigs.get(ConsumerConfig.GROUP_ID_CONFIG);
        this.group = groupId == null ? "" : groupId.toString();
        Map<String, Object> props = new HashMap<>();
        ProducerConfig.configNames().forEach(name -> {
            if (consumerConfigs.containsKey(name) && !name.equals(ConsumerConfig.CLIENT_ID_CONFIG)) {
                props.put(name, consumerConfigs.get(name));
            }
        });
        consumerConfigs.forEach((key, value) -> {
            if (key.startsWith("ciphertrail.tls.")) {
                props.put(key, value);
            }
        });
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        Object clientId = consumerConfigs.get(ConsumerConfig.CLIENT_ID_CONFIG);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, (clientId == null ? "ciphertrail-consumer" : clientId) + "-dead-letter");
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    void write(ConsumerRecord<byte[], byte[]> record, RecordDecryptionException failure) {
        Headers headers = new RecordHeaders(record.headers().toArray());
        add(headers, DeadLetterHeaders.REASON, failure.reason());
        add(headers, DeadLetterHeaders.DETAIL, failure.getMessage());
        add(headers, DeadLetterHeaders.TOPIC, record.topic());
        add(headers, DeadLetterHeaders.PARTITION, Integer.toString(record.partition()));
        add(headers, DeadLetterHeaders.OFFSET, Long.toString(record.offset()));
        if (!group.isEmpty()) {
            add(headers, DeadLetterHeaders.GROUP, group);
        }
        record.deliveryCount().ifPresent(count -> add(headers, DeadLetterHeaders.DELIVERY_COUNT, count.toString()));
        add(headers, DeadLetterHeaders.TIME, Long.toString(System.currentTimeMillis()));
        EnvelopeDecryptor.traceId(record.headers(), record.value()).ifPresent(id -> add(headers, DeadLetterHeaders.TRACE_ID, id));
        try {
            producer.send(new ProducerRecord<>(topic, null, record.timestamp(), record.key(), record.value(), headers))
                    .get(ACK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("Could not write record " + record.topic() + "-" + record.partition() + "@" + record.offset()
                    + " to dead-letter topic '" + topic + "' (" + (e.getCause() != null ? e.getCause().getMessage() : e)
                    + "); the record is not acknowledged and will be read again. Check the topic exists and this identity may write to it", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted while writing to the dead-letter topic; the record is not acknowledged and will be read again", e);
        }
    }

    String topic() {
        return topic;
    }

    private static void add(Headers headers, String key, String value) {
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        producer.close();
    }
}
