package io.ciphertrail.cli;

import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.policy.audit.TrailCodec;
import io.ciphertrail.schemas.audit.AuditEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Reads audit events (committed only) from the audit and trail topics, or from the one partition a key lands on. Index
 * entries of the trail are read as the RECORD_FORWARDED events they stand for.
 */
final class AuditReader {
    private AuditReader() {
    }

    /** Every event now in the topic, or only in the partition that {@code key} is written to when a key is given. */
    static void readAll(Map<String, Object> settings, String topic, byte[] key, Consumer<AuditEvent> sink) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(settings)) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            if (key != null) {
                partitions = List.of(new TopicPartition(topic, Utils.toPositive(Utils.murmur2(key)) % partitions.size()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<TopicPartition> assigned = partitions;
            while (assigned.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    decode(record).ifPresent(sink);
                }
            }
        }
    }

    /**
     * The last {@code count} events of each partition of the topics, oldest first, then (with {@code follow}) new ones as
     * they come until the process is stopped. Topics that do not exist yet are left out.
     */
    static void tail(Map<String, Object> settings, List<String> topics, int count, boolean follow, Consumer<AuditEvent> sink) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(settings)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                partitions.addAll(consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                        .map(p -> new TopicPartition(topic, p.partition())).toList());
            }
            if (partitions.isEmpty()) {
                throw new IllegalStateException("None of the audit topics " + topics + " exists yet; nothing has been audited");
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
            for (TopicPartition partition : partitions) {
                consumer.seek(partition, Math.max(begin.get(partition), end.get(partition) - count));
            }
            List<AuditEvent> latest = new ArrayList<>();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    decode(record).ifPresent(latest::add);
                }
            }
            latest.sort(Comparator.comparing(AuditEvent::getTime));
            latest.forEach(sink);
            while (follow) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    decode(record).ifPresent(sink);
                }
            }
        }
    }

    private static Optional<AuditEvent> decode(ConsumerRecord<byte[], byte[]> record) {
        return TrailCodec.decode(record.key(), record.value(), record.timestamp());
    }

    /** A consumer of committed records that joins no group and commits nothing. */
    static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> settings) {
        Map<String, Object> props = TlsConfig.secureClientConfigs(settings);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        if (partitions.isEmpty()) {
            throw new IllegalStateException("The audit topic '" + topic + "' does not exist yet; nothing has been audited");
        }
        return partitions;
    }
}
