package io.ciphertrail.consumer;

import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka {@link Consumer} that refuses insecure transport and hands the application only records it
 * decrypted and verified. A record that fails is never skipped silently: under the {@code FAIL} policy
 * {@link #poll} throws a {@link RecordDecryptionException} naming topic, partition, offset and reason,
 * and the consumer stays on that record; under {@code DEAD_LETTER} the raw record is written to the
 * dead-letter topic (acknowledged) before the consumer moves past it. A failure that is not the record's
 * fault (the KMS unreachable, or refusing this client: {@link RecordDecryptionException#retriable()}) is
 * never dead-lettered: poll throws and the next poll tries the record again, so an outage pauses the
 * stream instead of diverting it.
 *
 * <pre>{@code
 * try (Consumer<String, String> consumer = new SecureConsumer<>(configs, new StringDeserializer(), new StringDeserializer())) {
 *     consumer.subscribe(List.of("orders"));
 *     for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(1))) {
 *         Traced.handle(record, r -> process(r));   // trace_id in the MDC
 *     }
 * }
 * }</pre>
 */
public class SecureConsumer<K, V> implements Consumer<K, V> {
    private static final Logger LOG = LoggerFactory.getLogger(SecureConsumer.class);
    private static final String RETRY_NOTE = ". Retriable: the consumer stays on this record and tries it again on the next poll";

    private final ConsumerSecurity<K, V> security;
    private final KafkaConsumer<byte[], byte[]> delegate;
    private final BatchDecoder<K, V> decoder;
    private final DeadLetterWriter deadLetters;

    public SecureConsumer(Map<String, Object> configs, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        this.security = new ConsumerSecurity<>(configs, "consumer", keyDeserializer, valueDeserializer,
                config -> config.failurePolicy() == SecureConsumerConfig.FailurePolicy.DEAD_LETTER);
        try {
            this.delegate = new KafkaConsumer<>(security.configs(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (RuntimeException e) {
            security.close();
            throw e;
        }
        this.decoder = security.decoder();
        this.deadLetters = security.deadLetters();
    }

    public SecureConsumer(Properties properties, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        this(Utils.propsToMap(properties), keyDeserializer, valueDeserializer);
    }

    /** The settings of every Ciphertrail consumer: TLS, KMS, envelope and consumer keys. */
    public static org.apache.kafka.common.config.ConfigDef configDef() {
        return SecureConsumerConfig.configDef();
    }

    /** The trace ID of a record: its {@code traceparent} header, or the trace bound in its envelope. */
    public static Optional<String> traceId(ConsumerRecord<?, ?> record) {
        return EnvelopeDecryptor.traceId(record.headers(), null);
    }

    /**
     * Polls, decrypts and verifies. Records of a partition are returned up to its first failure; the
     * position is left on the failed record, and the poll that meets it first throws, with every
     * partition rewound to what it had not returned. So the application sees each record once, in order,
     * and a bad record stops its partition instead of being passed over. Decryption may run on several
     * threads ({@code ciphertrail.consumer.decrypt.threads}); the outcome is the same as on one.
     */
    @Override
    public ConsumerRecords<K, V> poll(Duration timeout) {
        ConsumerRecords<byte[], byte[]> raw = delegate.poll(timeout);
        Map<TopicPartition, List<ConsumerRecord<K, V>>> decoded = new LinkedHashMap<>();
        Map<TopicPartition, OffsetAndMetadata> nextOffsets = new HashMap<>(raw.nextOffsets());
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>(raw.count());
        for (TopicPartition partition : raw.partitions()) {
            all.addAll(raw.records(partition));
        }
        java.util.Iterator<BatchDecoder.Decrypted<K, V>> decrypted = decoder.decrypt(all).iterator();
        RecordDecryptionException failure = null;
        for (TopicPartition partition : raw.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> partitionRecords = raw.records(partition);
            List<ConsumerRecord<K, V>> records = new ArrayList<>(partitionRecords.size());
            int consumed = 0;
            for (ConsumerRecord<byte[], byte[]> record : partitionRecords) {
                BatchDecoder.Decrypted<K, V> next = decrypted.next();
                consumed++;
                try {
                    records.add(next.decode());
                } catch (RuntimeException e) {
                    RecordDecryptionException located = RecordDecryptionException.of(record, e, RETRY_NOTE);
                    if (deadLetters != null && !located.retriable() && writeDeadLetter(record, located, raw)) {
                        continue;
                    }
                    delegate.seek(partition, record.offset());
                    nextOffsets.put(partition, new OffsetAndMetadata(record.offset(), record.leaderEpoch(), ""));
                    if (records.isEmpty() && failure == null) {
                        failure = located;
                    }
                    break;
                }
            }
            for (; consumed < partitionRecords.size(); consumed++) {
                decrypted.next(); // decrypted ahead, never returned: the partition stops at its failure
            }
            if (!records.isEmpty()) {
                decoded.put(partition, records);
            }
        }
        if (failure != null) {
            rewind(decoded);
            throw failure;
        }
        return new ConsumerRecords<>(decoded, nextOffsets);
    }

    /**
     * Writes the record to the dead-letter topic; on failure rewinds the whole batch and throws. Records of
     * the batch already written there are written again on the next poll: duplicates in the dead-letter
     * topic, never a record lost.
     */
    private boolean writeDeadLetter(ConsumerRecord<byte[], byte[]> record, RecordDecryptionException failure,
                                    ConsumerRecords<byte[], byte[]> batch) {
        try {
            deadLetters.write(record, failure);
            LOG.warn("Record {}-{}@{} (trace {}) moved to dead-letter topic '{}': {}", record.topic(), record.partition(),
                    record.offset(), EnvelopeDecryptor.traceId(record.headers(), record.value()).orElse("-"), deadLetters.topic(),
                    failure.reason());
            return true;
        } catch (KafkaException e) {
            for (TopicPartition partition : batch.partitions()) {
                delegate.seek(partition, batch.records(partition).get(0).offset());
            }
            throw e;
        }
    }

    /** Puts back records decoded in this poll but not returned, so nothing is lost when poll throws. */
    private void rewind(Map<TopicPartition, List<ConsumerRecord<K, V>>> decoded) {
        decoded.forEach((partition, records) -> delegate.seek(partition, records.get(0).offset()));
    }

    @Override
    public Set<TopicPartition> assignment() {
        return delegate.assignment();
    }

    @Override
    public Set<String> subscription() {
        return delegate.subscription();
    }

    @Override
    public void subscribe(Collection<String> topics) {
        delegate.subscribe(topics);
    }

    @Override
    public void subscribe(Collection<String> topics, ConsumerRebalanceListener callback) {
        delegate.subscribe(topics, callback);
    }

    @Override
    public void assign(Collection<TopicPartition> partitions) {
        delegate.assign(partitions);
    }

    @Override
    public void subscribe(Pattern pattern, ConsumerRebalanceListener callback) {
        delegate.subscribe(pattern, callback);
    }

    @Override
    public void subscribe(Pattern pattern) {
        delegate.subscribe(pattern);
    }

    @Override
    public void subscribe(SubscriptionPattern pattern, ConsumerRebalanceListener callback) {
        delegate.subscribe(pattern, callback);
    }

    @Override
    public void subscribe(SubscriptionPattern pattern) {
        delegate.subscribe(pattern);
    }

    @Override
    public void unsubscribe() {
        delegate.unsubscribe();
    }

    @Override
    public void commitSync() {
        delegate.commitSync();
    }

    @Override
    public void commitSync(Duration timeout) {
        delegate.commitSync(timeout);
    }

    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        delegate.commitSync(offsets);
    }

    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
        delegate.commitSync(offsets, timeout);
    }

    @Override
    public void commitAsync() {
        delegate.commitAsync();
    }

    @Override
    public void commitAsync(OffsetCommitCallback callback) {
        delegate.commitAsync(callback);
    }

    @Override
    public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
        delegate.commitAsync(offsets, callback);
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        delegate.registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        delegate.unregisterMetricFromSubscription(metric);
    }

    @Override
    public void seek(TopicPartition partition, long offset) {
        delegate.seek(partition, offset);
    }

    @Override
    public void seek(TopicPartition partition, OffsetAndMetadata offsetAndMetadata) {
        delegate.seek(partition, offsetAndMetadata);
    }

    @Override
    public void seekToBeginning(Collection<TopicPartition> partitions) {
        delegate.seekToBeginning(partitions);
    }

    @Override
    public void seekToEnd(Collection<TopicPartition> partitions) {
        delegate.seekToEnd(partitions);
    }

    @Override
    public long position(TopicPartition partition) {
        return delegate.position(partition);
    }

    @Override
    public long position(TopicPartition partition, Duration timeout) {
        return delegate.position(partition, timeout);
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
        return delegate.committed(partitions);
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions, Duration timeout) {
        return delegate.committed(partitions, timeout);
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return delegate.clientInstanceId(timeout);
    }

    /** Kafka's consumer metrics and Ciphertrail's. */
    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return security.metrics().withClientMetrics(delegate.metrics());
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return delegate.partitionsFor(topic);
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic, Duration timeout) {
        return delegate.partitionsFor(topic, timeout);
    }

    @Override
    public Map<String, List<PartitionInfo>> listTopics() {
        return delegate.listTopics();
    }

    @Override
    public Map<String, List<PartitionInfo>> listTopics(Duration timeout) {
        return delegate.listTopics(timeout);
    }

    @Override
    public Set<TopicPartition> paused() {
        return delegate.paused();
    }

    @Override
    public void pause(Collection<TopicPartition> partitions) {
        delegate.pause(partitions);
    }

    @Override
    public void resume(Collection<TopicPartition> partitions) {
        delegate.resume(partitions);
    }

    @Override
    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> timestampsToSearch) {
        return delegate.offsetsForTimes(timestampsToSearch);
    }

    @Override
    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> timestampsToSearch, Duration timeout) {
        return delegate.offsetsForTimes(timestampsToSearch, timeout);
    }

    @Override
    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
        return delegate.beginningOffsets(partitions);
    }

    @Override
    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions, Duration timeout) {
        return delegate.beginningOffsets(partitions, timeout);
    }

    @Override
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
        return delegate.endOffsets(partitions);
    }

    @Override
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
        return delegate.endOffsets(partitions, timeout);
    }

    @Override
    public OptionalLong currentLag(TopicPartition topicPartition) {
        return delegate.currentLag(topicPartition);
    }

    @Override
    public ConsumerGroupMetadata groupMetadata() {
        return delegate.groupMetadata();
    }

    @Override
    public void enforceRebalance() {
        delegate.enforceRebalance();
    }

    @Override
    public void enforceRebalance(String reason) {
        delegate.enforceRebalance(reason);
    }

    @Override
    public void close() {
        close(CloseOptions.timeout(Duration.ofSeconds(30)));
    }

    @Override
    public void close(Duration timeout) {
        close(CloseOptions.timeout(timeout));
    }

    @Override
    public void close(CloseOptions option) {
        try {
            delegate.close(option);
        } finally {
            security.close();
        }
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }
}
