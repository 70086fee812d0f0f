package io.ciphertrail.policy.quarantine;

import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.policy.audit.AuditCodec;
import io.ciphertrail.policy.audit.EventIds;
import io.ciphertrail.policy.delivery.ProducerLimits;
import io.ciphertrail.policy.delivery.RecordSize;
import io.ciphertrail.policy.gate.GateTrail;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.RecordInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Reading the quarantine topic, and replaying records from it once their cause is fixed.
 *
 * <p>Replay writes a record back to the ingress topic it came from, exactly as it arrived (key, value,
 * headers, timestamp), so the gate checks it again and its trace ID is kept; each replay is audited
 * (RECORD_REPLAYED, on the trail topic). It replays only the gate's own copies: the quarantine record must name an ingress
 * topic the gate reads, and the record found at that topic, partition and offset must be the one it
 * copies (byte for byte) or references (by digest). What is replayed is that original, read back from the
 * ingress topic: a quarantine record edited or made by hand cannot inject anything, and a record too large
 * to copy is replayed from where it still is.
 */
public final class QuarantineTopic {
    public static final String DEFAULT_NAME = "ciphertrail.quarantine";
    /**
     * Room for the reason headers beyond the largest record an ingress topic takes: the service creates the
     * quarantine topic with Kafka's default {@code max.message.bytes} plus this, and gives its producer
     * {@code max.request.size} 1 MiB plus this.
     */
    public static final int HEADROOM_BYTES = 64 * 1024;

    /** A record replay would not write, and why. */
    public record Refusal(QuarantinedRecord record, String reason) {
    }

    /** What a replay did. */
    public record ReplayResult(List<QuarantinedRecord> replayed, List<Refusal> refused) {
    }

    private QuarantineTopic() {
    }

    /** Quarantined records that {@code filter} accepts, oldest first (committed records only). */
    public static List<QuarantinedRecord> read(Map<String, Object> clientConfigs, String topic, Predicate<QuarantinedRecord> filter) {
        List<QuarantinedRecord> found = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader(clientConfigs)) {
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
     * Puts the selected records back on their ingress topics and audits each replay; refuses, with the reason,
     * every selected record that is not the gate's copy of a record still in a topic the gate reads.
     *
     * @param source CloudEvents source for the audit events, e.g. {@code ciphertrail://cli/<user>}
     */
    public static ReplayResult replay(Map<String, Object> clientConfigs, ReplayRules rules, Predicate<QuarantinedRecord> which, String source) {
        List<QuarantinedRecord> selected = read(clientConfigs, rules.quarantineTopic(), which);
        Map<QuarantinedRecord, ConsumerRecord<byte[], byte[]>> originals = new LinkedHashMap<>();
        List<Refusal> refused = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> reader = committedReader(clientConfigs)) {
            for (QuarantinedRecord quarantined : selected) {
                QuarantineReason reason = quarantined.reason();
                String refusal = rules.refusal(reason.sourceTopic());
                if (refusal == null) {
                    Optional<ConsumerRecord<byte[], byte[]>> original = recordAt(reader,
                            new TopicPartition(reason.sourceTopic(), reason.sourcePartition()), reason.sourceOffset());
                    refusal = original.isEmpty()
                            ? "the original at " + quarantined.origin() + " is no longer there (retention or compaction removed it, or there"
                                    + " never was one); replay needs it to prove this is the gate's copy. Look at it with 'quarantine show'"
                            : mismatch(quarantined, original.get());
                    if (refusal == null) {
                        originals.put(quarantined, original.get());
                    }
                }
                if (refusal != null) {
                    refused.add(new Refusal(quarantined, refusal));
                }
            }
        }
        if (!originals.isEmpty()) {
            send(clientConfigs, rules, originals, source);
        }
        return new ReplayResult(List.copyOf(originals.keySet()), refused);
    }

    /**
     * Writes the originals back and audits each. Compressed, and allowed requests as large as the largest original: a
     * record a producer once compressed into its ingress topic fits there again.
     */
    private static void send(Map<String, Object> clientConfigs, ReplayRules rules, Map<QuarantinedRecord, ConsumerRecord<byte[], byte[]>> originals,
                             String source) {
        int largest = originals.values().stream().mapToInt(r -> RecordSize.of(r.key(), r.value(), r.headers())).max().orElse(0);
        Map<String, Object> props = TlsConfig.secureClientConfigs(clientConfigs);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
        props.merge(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Math.max(largest, ProducerLimits.DEFAULT_MAX_REQUEST_SIZE),
                (configured, needed) -> Math.max(Integer.parseInt(configured.toString()), (Integer) needed));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<?>> sends = new ArrayList<>();
            originals.forEach((quarantined, record) -> {
                QuarantineReason reason = quarantined.reason();
                sends.add(producer.send(new ProducerRecord<>(reason.sourceTopic(), null, record.timestamp(), record.key(), record.value(),
                        record.headers())));
                String traceId = quarantined.traceId().orElse("");
                ConsumerRecord<byte[], byte[]> copy = quarantined.record();
                RecordInfo info = new RecordInfo(traceId, reason.policy() == null ? "" : reason.policy(), rules.quarantineTopic(),
                        copy.partition(), copy.offset(), reason.sourceTopic(), reason.rule(), reason.code(),
                        "replayed from quarantine to its ingress topic", List.of());
                sends.add(producer.send(new ProducerRecord<>(rules.trailTopic(), traceId.isEmpty() ? null : traceId.getBytes(StandardCharsets.US_ASCII),
                        AuditCodec.encode(GateTrail.recordEvent(source, EventIds.random(), System.currentTimeMillis(), traceId,
                                AuditEventType.RECORD_REPLAYED, info)))));
            });
            for (Future<?> send : sends) {
                send.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("Replay failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during replay", e);
        }
    }

    /** Why {@code original} is not what the quarantine record copies or references, or null when it is. */
    private static String mismatch(QuarantinedRecord quarantined, ConsumerRecord<byte[], byte[]> original) {
        boolean same = quarantined.reference()
                .map(reference -> reference.matches(original.key(), original.value()))
                .orElseGet(() -> Arrays.equals(quarantined.record().key(), original.key())
                        && Arrays.equals(quarantined.record().value(), original.value())
                        && sameHeaders(quarantined.originalHeaders(), original.headers()));
        return same ? null : "it does not match the record at " + quarantined.origin() + ", so it is not the gate's copy of it"
                + " (edited or made by hand); nothing was replayed for it";
    }

    private static boolean sameHeaders(Headers a, Headers b) {
        var left = a.toArray();
        var right = b.toArray();
        if (left.length != right.length) {
            return false;
        }
        for (int i = 0; i < left.length; i++) {
            if (!left[i].key().equals(right[i].key()) || !Arrays.equals(left[i].value(), right[i].value())) {
                return false;
            }
        }
        return true;
    }

    /** The committed record at exactly this offset, if the topic still holds one there. */
    private static Optional<ConsumerRecord<byte[], byte[]>> recordAt(KafkaConsumer<byte[], byte[]> consumer, TopicPartition partition, long offset) {
        if (partition.partition() < 0 || offset < 0) {
            return Optional.empty();
        }
        consumer.assign(List.of(partition));
        long start = consumer.beginningOffsets(List.of(partition)).getOrDefault(partition, Long.MAX_VALUE);
        long end = consumer.endOffsets(List.of(partition)).getOrDefault(partition, 0L);
        if (offset < start || offset >= end) {
            return Optional.empty();
        }
        consumer.seek(partition, offset);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (consumer.position(partition) <= offset && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                if (record.offset() >= offset) {
                    return record.offset() == offset ? Optional.of(record) : Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    private static KafkaConsumer<byte[], byte[]> committedReader(Map<String, Object> clientConfigs) {
        Map<String, Object> props = TlsConfig.secureClientConfigs(clientConfigs);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
