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
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
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
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigDef;
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
    private final boolean decryptAhead;
    /** The records of the poll under way, until it returns them (a rebalance inside it may take some back). */
    private PolledBatch<K, V> current;
    /** Records polled ahead by the last poll, decrypted meanwhile, for the next poll to return. */
    private PolledBatch<K, V> ahead;
    /**
     * Per partition, the position as of the records returned (the next offsets of the last poll that returned it, or
     * where the application sought): what a commit without offsets commits while records are held ahead.
     */
    private final Map<TopicPartition, OffsetAndMetadata> returned = new HashMap<>();
    /** What Kafka threw while this consumer polled ahead, for the next poll to throw. */
    private RuntimeException deferred;
    /**
     * Kafka's auto-commit ({@code enable.auto.commit}, every {@code auto.commit.interval.ms}), run by this consumer when
     * it decrypts ahead, so that it commits as of the records returned; negative when off.
     */
    private final long autoCommitIntervalNanos;
    private long nextAutoCommit;
    /** The longest wait for a synchronous auto-commit: Kafka's {@code request.timeout.ms}, as Kafka bounds its own. */
    private final Duration autoCommitTimeout;
    /** Unsubscribing or closing: Kafka's auto-commit does not run in the revocation callback then. */
    private boolean leaving;
    private boolean closed;

    public SecureConsumer(Map<String, Object> configs, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        this.security = new ConsumerSecurity<>(configs, "consumer", keyDeserializer, valueDeserializer,
                config -> config.failurePolicy() == SecureConsumerConfig.FailurePolicy.DEAD_LETTER);
        this.decryptAhead = security.config().decryptAhead() && security.config().decryptThreads() > 1;
        boolean autoCommit = decryptAhead && autoCommits(security.configs());
        Map<String, Object> kafkaConfigs = security.configs();
        if (autoCommit) {
            // Kafka would commit its own positions, past the records held ahead
            kafkaConfigs = new HashMap<>(kafkaConfigs);
            kafkaConfigs.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        }
        try {
            this.delegate = new KafkaConsumer<>(kafkaConfigs, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (RuntimeException e) {
            security.close();
            throw e;
        }
        this.decoder = security.decoder();
        this.deadLetters = security.deadLetters();
        // Kafka's consumer has checked both settings by now
        this.autoCommitIntervalNanos = !autoCommit ? -1
                : Duration.ofMillis(kafkaMillis(configs, ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG)).toNanos();
        this.nextAutoCommit = System.nanoTime() + Math.max(0, autoCommitIntervalNanos);
        this.autoCommitTimeout = Duration.ofMillis(kafkaMillis(configs, ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG));
    }

    /** A Kafka consumer setting in milliseconds, read as Kafka reads it, with Kafka's own default when not set. */
    private static long kafkaMillis(Map<String, Object> configs, String name) {
        Object value = configs.containsKey(name) ? configs.get(name) : ConsumerConfig.configDef().defaultValues().get(name);
        return ((Number) ConfigDef.parseType(name, value, ConfigDef.Type.INT)).longValue();
    }

    /** Whether Kafka commits positions by itself: a {@code group.id} without {@code enable.auto.commit=false}. */
    private static boolean autoCommits(Map<String, Object> configs) {
        Object group = configs.get(ConsumerConfig.GROUP_ID_CONFIG);
        Object autoCommit = configs.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
        return group != null && (autoCommit == null || Boolean.parseBoolean(autoCommit.toString().trim()));
    }

    /** The auto-commit of a poll, when it is due: asynchronous, as Kafka's, and as of the records returned. */
    private void maybeAutoCommit() {
        if (autoCommitIntervalNanos >= 0 && System.nanoTime() - nextAutoCommit >= 0) {
            nextAutoCommit = System.nanoTime() + autoCommitIntervalNanos;
            Map<TopicPartition, OffsetAndMetadata> offsets = consumed();
            if (!offsets.isEmpty()) {
                delegate.commitAsync(offsets, (committed, e) -> {
                    if (e != null) {
                        LOG.warn("Auto-commit of offsets {} failed: {}", committed, e.getMessage());
                    }
                });
            }
        }
    }

    /**
     * The auto-commit before partitions are revoked and at close, synchronous as Kafka's and bounded by
     * {@code request.timeout.ms}: a failure is logged, a wakeup or interrupt is the application's and is thrown.
     */
    private void autoCommitSync(Duration timeout) {
        if (autoCommitIntervalNanos < 0) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = Map.of();
        try {
            offsets = consumed();
            delegate.commitSync(offsets, timeout.compareTo(autoCommitTimeout) < 0 ? timeout : autoCommitTimeout);
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.warn("Synchronous auto-commit of offsets {} failed: {}", offsets, e.getMessage());
        }
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
     *
     * <p>With {@code ciphertrail.consumer.decrypt.ahead}, a poll whose records are many enough to share out polls Kafka
     * once more, without waiting, while the helper threads decrypt, and keeps what came for the next poll, decrypting
     * it meanwhile: fetching, which Kafka's consumer does on the polling thread, then overlaps decryption instead of
     * alternating with it. Records held ahead count as not yet consumed: {@link #position}, the commits without
     * offsets, {@link #currentLag}, seeks, pauses and rebalances answer as of the records returned, and Kafka's
     * auto-commit, when enabled, is run by this consumer so that it commits as of them too.
     */
    @Override
    public ConsumerRecords<K, V> poll(Duration timeout) {
        if (deferred != null) {
            RuntimeException failure = deferred;
            deferred = null;
            if (failure instanceof InterruptException) {
                Thread.currentThread().interrupt();
            }
            throw failure;
        }
        maybeAutoCommit();
        PolledBatch<K, V> batch = ahead;
        ahead = null;
        boolean heldAhead = batch != null;
        if (!heldAhead) {
            batch = new PolledBatch<>(delegate.poll(timeout), decoder);
        }
        current = batch;
        try {
            // every poll that returns records held ahead polls Kafka too: its rebalances, callbacks and poll interval
            // stay as they would be without holding anything
            if (decryptAhead && (heldAhead || batch.decryption().shared())) {
                pollAhead();
            }
            ConsumerRecords<K, V> records = returnable(batch);
            returned.putAll(records.nextOffsets());
            return records;
        } finally {
            current = null;
        }
    }

    /**
     * Polls Kafka without waiting while the helpers decrypt the poll under way, and keeps what comes for the next poll. A
     * rebalance inside takes back what it revokes ({@link #guarded}). What Kafka throws here is thrown by the next poll,
     * after this one returned the records it already had, as Kafka's consumer does with records it fetched before.
     */
    private void pollAhead() {
        ConsumerRecords<byte[], byte[]> next;
        try {
            next = delegate.poll(Duration.ZERO);
        } catch (RuntimeException e) {
            if (e instanceof InterruptException) {
                Thread.interrupted(); // set again when it is thrown; until then this poll's own seeks must not fail
            }
            deferred = e;
            return;
        } catch (Error e) {
            withdraw(current, current.held(), true);
            throw e;
        }
        if (!next.isEmpty()) {
            ahead = new PolledBatch<>(next, decoder);
        }
    }

    /** The decrypted records of {@code batch} the application may have, under the failure policy. */
    private ConsumerRecords<K, V> returnable(PolledBatch<K, V> batch) {
        List<BatchDecoder.Decrypted<K, V>> all;
        try {
            all = batch.decryption().join();
        } catch (RuntimeException | Error e) {
            withdrawAhead();
            withdraw(batch, batch.held(), true);
            throw e;
        }
        Set<TopicPartition> assigned = delegate.assignment();
        ConsumerRecords<byte[], byte[]> raw = batch.raw();
        java.util.Iterator<BatchDecoder.Decrypted<K, V>> decrypted = all.iterator();
        Map<TopicPartition, List<ConsumerRecord<K, V>>> decoded = new LinkedHashMap<>();
        Map<TopicPartition, OffsetAndMetadata> nextOffsets = new HashMap<>(raw.nextOffsets());
        RecordDecryptionException failure = null;
        for (TopicPartition partition : raw.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> partitionRecords = raw.records(partition);
            List<ConsumerRecord<K, V>> records = new ArrayList<>(partitionRecords.size());
            int consumed = 0;
            boolean withdrawn = batch.withdrawn(partition);
            for (; !withdrawn && consumed < partitionRecords.size(); consumed++) {
                ConsumerRecord<byte[], byte[]> record = partitionRecords.get(consumed);
                try {
                    records.add(decrypted.next().decode());
                } catch (RuntimeException e) {
                    RecordDecryptionException located = RecordDecryptionException.of(record, e, RETRY_NOTE);
                    if (deadLetters != null && !located.retriable() && writeDeadLetter(record, located, batch)) {
                        continue;
                    }
                    withdrawAhead();
                    delegate.seek(partition, record.offset());
                    nextOffsets.put(partition, new OffsetAndMetadata(record.offset(), record.leaderEpoch(), ""));
                    if (records.isEmpty() && failure == null) {
                        failure = located;
                    }
                    consumed++;
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
        // nothing of a partition sought, paused or taken away meanwhile: Kafka's position of it is elsewhere
        nextOffsets.keySet().removeIf(partition -> batch.withdrawn(partition) || !assigned.contains(partition));
        return new ConsumerRecords<>(decoded, nextOffsets);
    }

    /**
     * Writes the record to the dead-letter topic; on failure rewinds the whole batch and throws. Records of
     * the batch already written there are written again on the next poll: duplicates in the dead-letter
     * topic, never a record lost.
     */
    private boolean writeDeadLetter(ConsumerRecord<byte[], byte[]> record, RecordDecryptionException failure,
                                    PolledBatch<K, V> batch) {
        try {
            deadLetters.write(record, failure);
            LOG.warn("Record {}-{}@{} (trace {}) moved to dead-letter topic '{}': {}", record.topic(), record.partition(),
                    record.offset(), EnvelopeDecryptor.traceId(record.headers(), record.value()).orElse("-"), deadLetters.topic(),
                    failure.reason());
            return true;
        } catch (KafkaException e) {
            withdrawAhead();
            withdraw(batch, batch.held(), true);
            throw e;
        }
    }

    /** Puts back records decoded in this poll but not returned, so nothing is lost when poll throws. */
    private void rewind(Map<TopicPartition, List<ConsumerRecord<K, V>>> decoded) {
        decoded.forEach((partition, records) -> delegate.seek(partition, records.get(0).offset()));
    }

    /**
     * A position Kafka could not use (out of range, no committed offset and no reset policy) is about the position it
     * had: once the application moves positions, Kafka would not throw it, and throws again itself if it still holds.
     */
    private void forgetDeferredOffsetFailure() {
        if (deferred instanceof InvalidOffsetException) {
            deferred = null;
        }
    }

    /** Gives back every record held ahead: Kafka's positions return to the first of them, and their decryption stops. */
    private void withdrawAhead() {
        if (ahead != null) {
            withdraw(ahead, ahead.held(), true);
            dropAhead();
        }
    }

    /** Forgets what is held ahead, without giving it back to Kafka, and stops its decryption. */
    private void dropAhead() {
        if (ahead != null) {
            ahead.decryption().cancel();
            ahead = null;
        }
    }

    /**
     * Stops holding records of {@code partitions} for the application, in the poll under way and ahead. Kafka's position
     * of each partition still assigned goes back to the first record held, as if they had never been polled, so the
     * state is whole whatever the caller does next (a seek that Kafka refuses, a commit in a revocation callback).
     */
    private void withdraw(Collection<TopicPartition> partitions) {
        // the later batch first, so that the earlier position is the one Kafka keeps
        withdraw(ahead, partitions, true);
        withdraw(current, partitions, true);
    }

    /** As {@link #withdraw(Collection)} for one batch; without {@code seekBack} the partitions are no longer this consumer's. */
    private void withdraw(PolledBatch<K, V> batch, Collection<TopicPartition> partitions, boolean seekBack) {
        if (batch == null || partitions.isEmpty()) {
            return;
        }
        Set<TopicPartition> assigned = seekBack ? delegate.assignment() : Set.of();
        for (TopicPartition partition : partitions) {
            if (batch.holds(partition) && assigned.contains(partition)) {
                OffsetAndMetadata first = batch.position(partition);
                // the offset alone: with a leader epoch Kafka would validate the position first, and leave the
                // partition out of commits until it has
                delegate.seek(partition, first.offset());
                returned.put(partition, first);
            }
            // also a partition with no records here, only a next offset (past transaction markers): it is stale now
            batch.withdraw(partition);
        }
    }

    /** The first record held for the application in {@code partition} (offset and leader epoch), or {@code null}. */
    private OffsetAndMetadata held(TopicPartition partition) {
        if (current != null && current.holds(partition)) {
            return current.position(partition);
        }
        return ahead != null && ahead.holds(partition) ? ahead.position(partition) : null;
    }

    /** Records polled from Kafka and held for the next poll: for tests. */
    int recordsHeldAhead() {
        return ahead == null ? 0 : ahead.held().stream().mapToInt(partition -> ahead.raw().records(partition).size()).sum();
    }

    private boolean holdsAny() {
        return (ahead != null && !ahead.held().isEmpty()) || (current != null && !current.held().isEmpty());
    }

    /**
     * What a commit without offsets commits while records are held ahead: per assigned partition, the first record held,
     * else Kafka's position; a partition without a valid position yet is left out, as Kafka leaves it out.
     */
    private Map<TopicPartition, OffsetAndMetadata> consumed() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : delegate.assignment()) {
            OffsetAndMetadata position = held(partition);
            if (position == null) {
                // nothing of it held: Kafka's position is the application's (a valid one is answered without a request),
                // with the leader epoch of the records returned up to it
                try {
                    long kafkas = delegate.position(partition, Duration.ZERO);
                    OffsetAndMetadata last = returned.get(partition);
                    position = last != null && last.offset() == kafkas ? last : new OffsetAndMetadata(kafkas);
                } catch (org.apache.kafka.common.errors.TimeoutException | InvalidOffsetException e) {
                    continue; // no valid position yet: left out, as Kafka leaves it out
                }
            }
            offsets.put(partition, position);
        }
        return offsets;
    }

    /**
     * What every subscribe does before Kafka's: checks the listener, and gives back what is held ahead, since Kafka drops
     * what it fetched of topics no longer subscribed. Returns the listener to give Kafka.
     */
    private ConsumerRebalanceListener resubscribing(ConsumerRebalanceListener listener) {
        ConsumerRebalanceListener guarded = guarded(listener);
        forgetDeferredOffsetFailure();
        withdrawAhead();
        return guarded;
    }

    /** Lets a rebalance take back the records held for the partitions it revokes before the application's listener runs. */
    private ConsumerRebalanceListener guarded(ConsumerRebalanceListener listener) {
        if (listener == null) {
            throw new IllegalArgumentException("RebalanceListener cannot be null");
        }
        return new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                try {
                    withdraw(partitions); // what cannot be sought back stays held, and commits answer from it
                    if (!leaving) {
                        autoCommitSync(autoCommitTimeout);
                    }
                } finally {
                    try {
                        listener.onPartitionsRevoked(partitions); // may commit: positions are as of the records returned
                    } finally {
                        returned.keySet().removeAll(partitions);
                    }
                }
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                withdraw(ahead, partitions, false);
                withdraw(current, partitions, false);
                returned.keySet().removeAll(partitions);
                listener.onPartitionsLost(partitions);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                listener.onPartitionsAssigned(partitions);
            }
        };
    }

    private static final ConsumerRebalanceListener NO_LISTENER = new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }
    };

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
        delegate.subscribe(topics, resubscribing(NO_LISTENER));
    }

    @Override
    public void subscribe(Collection<String> topics, ConsumerRebalanceListener callback) {
        delegate.subscribe(topics, resubscribing(callback));
    }

    @Override
    public void assign(Collection<TopicPartition> partitions) {
        forgetDeferredOffsetFailure();
        if (partitions != null && !partitions.isEmpty()) {
            maybeAutoCommit(); // as Kafka does, for the partitions the new assignment leaves out
        }
        withdrawAhead();
        delegate.assign(partitions);
        if (partitions != null) {
            returned.keySet().retainAll(partitions);
        }
    }

    @Override
    public void subscribe(Pattern pattern, ConsumerRebalanceListener callback) {
        delegate.subscribe(pattern, resubscribing(callback));
    }

    @Override
    public void subscribe(Pattern pattern) {
        delegate.subscribe(pattern, resubscribing(NO_LISTENER));
    }

    @Override
    public void subscribe(SubscriptionPattern pattern, ConsumerRebalanceListener callback) {
        delegate.subscribe(pattern, resubscribing(callback));
    }

    @Override
    public void subscribe(SubscriptionPattern pattern) {
        delegate.subscribe(pattern, resubscribing(NO_LISTENER));
    }

    @Override
    public void unsubscribe() {
        forgetDeferredOffsetFailure();
        withdrawAhead();
        leaving = true;
        try {
            delegate.unsubscribe();
        } finally {
            leaving = false;
            returned.clear();
        }
    }

    @Override
    public void commitSync() {
        if (holdsAny()) {
            delegate.commitSync(consumed());
        } else {
            delegate.commitSync();
        }
    }

    @Override
    public void commitSync(Duration timeout) {
        if (holdsAny()) {
            delegate.commitSync(consumed(), timeout);
        } else {
            delegate.commitSync(timeout);
        }
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
        commitAsync(null);
    }

    @Override
    public void commitAsync(OffsetCommitCallback callback) {
        if (holdsAny()) {
            delegate.commitAsync(consumed(), callback);
        } else {
            delegate.commitAsync(callback);
        }
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
        forgetDeferredOffsetFailure();
        withdraw(List.of(partition));
        delegate.seek(partition, offset);
        returned.put(partition, new OffsetAndMetadata(offset));
    }

    @Override
    public void seek(TopicPartition partition, OffsetAndMetadata offsetAndMetadata) {
        forgetDeferredOffsetFailure();
        withdraw(List.of(partition));
        delegate.seek(partition, offsetAndMetadata);
        returned.put(partition, new OffsetAndMetadata(offsetAndMetadata.offset(), offsetAndMetadata.leaderEpoch(), ""));
    }

    @Override
    public void seekToBeginning(Collection<TopicPartition> partitions) {
        forgetDeferredOffsetFailure();
        Collection<TopicPartition> reset = partitions == null ? List.of() : partitions.isEmpty() ? delegate.assignment() : partitions;
        withdraw(reset);
        delegate.seekToBeginning(partitions);
        returned.keySet().removeAll(reset);
    }

    @Override
    public void seekToEnd(Collection<TopicPartition> partitions) {
        forgetDeferredOffsetFailure();
        Collection<TopicPartition> reset = partitions == null ? List.of() : partitions.isEmpty() ? delegate.assignment() : partitions;
        withdraw(reset);
        delegate.seekToEnd(partitions);
        returned.keySet().removeAll(reset);
    }

    @Override
    public long position(TopicPartition partition) {
        OffsetAndMetadata held = held(partition);
        return held != null ? held.offset() : delegate.position(partition);
    }

    @Override
    public long position(TopicPartition partition, Duration timeout) {
        OffsetAndMetadata held = held(partition);
        return held != null ? held.offset() : delegate.position(partition, timeout);
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
        withdraw(partitions);
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
        OptionalLong lag = delegate.currentLag(topicPartition);
        OffsetAndMetadata first = held(topicPartition);
        if (first == null || lag.isEmpty()) {
            return lag;
        }
        // Kafka's position is past the last batch holding records of the partition
        PolledBatch<K, V> last = ahead != null && ahead.holds(topicPartition) ? ahead : current;
        return OptionalLong.of(lag.getAsLong() + last.next(topicPartition) - first.offset());
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
        if (closed) {
            return;
        }
        closed = true;
        leaving = true;
        // before Kafka's close runs the revocation callback, in which an application may commit its position; what
        // cannot be sought back stays held, so such a commit still answers from it, and the close goes on regardless
        RuntimeException seekBack = null;
        try {
            withdrawAhead();
        } catch (RuntimeException e) {
            seekBack = e;
        }
        Duration timeout = option.timeout().orElse(Duration.ofSeconds(30));
        long start = System.nanoTime();
        try {
            autoCommitSync(timeout);
        } catch (WakeupException e) {
            // a wakeup meant for a poll, which Kafka's close ignores: the commit goes on
            autoCommitSync(left(timeout, start));
        } catch (InterruptException e) {
            // Kafka's close sees the interrupt too, closes and throws it
        }
        try {
            delegate.close(CloseOptions.timeout(left(timeout, start)).withGroupMembershipOperation(option.groupMembershipOperation()));
        } finally {
            dropAhead();
            security.close();
        }
        if (seekBack != null) {
            throw seekBack;
        }
    }

    private static Duration left(Duration timeout, long start) {
        Duration left = timeout.minusNanos(System.nanoTime() - start);
        return left.isNegative() ? Duration.ZERO : left;
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }
}
