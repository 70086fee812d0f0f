package io.ciphertrail.broker.authorizer;

import io.ciphertrail.embedded.SecureKafkaCluster;
import io.ciphertrail.schemas.audit.AuditEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads the audit topic from the start, as the admin identity, and decodes each record with the schema. */
final class AuditTopicReader {
    static final String TOPIC = "ciphertrail.audit";

    private AuditTopicReader() {
    }

    /** Keeps reading until {@code done} holds for the matching events read so far, or the timeout passes. */
    static List<AuditEvent> await(SecureKafkaCluster kafka, Predicate<AuditEvent> filter, Predicate<List<AuditEvent>> done, Duration timeout) {
        Map<String, Object> props = kafka.clientProperties(SecureKafkaCluster.ADMIN_IDENTITY);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<AuditEvent> events = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<TopicPartition> partitions = List.of();
            while (partitions.isEmpty() && System.nanoTime() < deadline) {
                partitions = consumer.partitionsFor(TOPIC, Duration.ofSeconds(5)).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                if (partitions.isEmpty()) {
                    sleep();
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!done.test(events) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    AuditEvent event = decode(record.value());
                    if (filter.test(event)) {
                        events.add(event);
                    }
                }
            }
        }
        return events;
    }

    static AuditEvent decode(byte[] value) {
        try {
            return AuditEvent.fromByteBuffer(ByteBuffer.wrap(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long countSum(List<AuditEvent> events) {
        return events.stream().mapToLong(e -> e.getAuthorization().getCount()).sum();
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
