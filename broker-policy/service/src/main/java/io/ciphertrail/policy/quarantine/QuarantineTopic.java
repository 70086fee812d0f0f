package io.ciphertrail.policy.quarantine;

import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.policy.audit.AuditCodec;
import io.ciphertrail.policy.gate.GateAudit;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.RecordInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Reading the quarantine topic, and replaying records from it once their cause is fixed: a replayed
 * record goes back to the ingress topic it came from exactly as it arrived there (key, value, headers
 * and timestamp; only the quarantine headers removed), so the gate checks it again and its trace ID is
 * kept. Each replay is recorded as a RECORD_REPLAYED audit event.
 */
public final class QuarantineTopic {
    public static final String DEFAULT_NAME = "ciphertrail.quarantine";

    private QuarantineTopic() {
    }

    /** Quarantined records that {@code filter} accepts, oldest first (committed records only). */
    public static List<QuarantinedRecord> read(Map<String, Object> clientConfigs, String topic, Predicate<QuarantinedRecord> filter) {
        Map<String, Object> props = TlsConfig.secureClientConfigs(clientConfigs);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<QuarantinedRecord> found = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("The quarantine topic '" + topic + "' does not exist; is the policy service running?");
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    QuarantinedRecord quarantined = QuarantinedRecord.of(record);
                    if (filter.test(quarantined)) {
                        found.add(quarantined);
                    }
                }
            }
        }
        return found;
    }

    /**
     * Puts the selected records back on their ingress topics and audits each replay.
     *
     * @param source CloudEvents source for the audit events, e.g. {@code ciphertrail://cli/<user>}
     * @return the records replayed
     */
    public static List<QuarantinedRecord> replay(Map<String, Object> clientConfigs, String quarantineTopic, String auditTopic,
                                                 Predicate<QuarantinedRecord> which, String source) {
        List<QuarantinedRecord> selected = read(clientConfigs, quarantineTopic, which);
        Map<String, Object> props = TlsConfig.secureClientConfigs(clientConfigs);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<?>> sends = new ArrayList<>();
            for (QuarantinedRecord quarantined : selected) {
                ConsumerRecord<byte[], byte[]> record = quarantined.record();
                QuarantineReason reason = quarantined.reason();
                if (reason.sourceTopic() == null || reason.sourceTopic().isEmpty()) {
                    throw new IllegalStateException("Quarantined record at offset " + record.offset() + " has no source topic header; it cannot be replayed");
                }
                sends.add(producer.send(new ProducerRecord<>(reason.sourceTopic(), null, record.timestamp(), record.key(), record.value(),
                        QuarantineHeaders.original(record.headers()))));
                String traceId = quarantined.traceId().orElse("");
                RecordInfo info = new RecordInfo(traceId, reason.policy() == null ? "" : reason.policy(), quarantineTopic,
                        record.partition(), record.offset(), reason.sourceTopic(), reason.rule(), reason.code(),
                        "replayed from quarantine to its ingress topic");
                sends.add(producer.send(new ProducerRecord<>(auditTopic, traceId.isEmpty() ? null : traceId.getBytes(StandardCharsets.US_ASCII),
                        AuditCodec.encode(GateAudit.recordEvent(source, System.currentTimeMillis(), traceId, AuditEventType.RECORD_REPLAYED, info)))));
            }
            for (Future<?> send : sends) {
                send.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("Replay failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during replay", e);
        }
        return selected;
    }
}
