package io.ciphertrail.consumer;

import io.ciphertrail.consumer.SecureConsumerConfig.ShareFailurePolicy;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.AcknowledgementCommitCallback;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka {@link ShareConsumer}: a member of a share group (KIP-932 queue), which takes records from the
 * same partitions as the other members and acknowledges each one. It refuses insecure transport, like
 * {@link SecureConsumer}, and hands the application only records it decrypted and verified, with their
 * trace ID and delivery count ({@link ConsumerRecord#deliveryCount()}).
 *
 * <p>A record that fails is never handed over and never silently accepted: the consumer acknowledges it
 * itself, by {@code ciphertrail.consumer.share.failure.policy} ({@code REJECT}, the default: the broker
 * archives it; {@code DEAD_LETTER}: the raw record goes to the dead-letter topic first; {@code RELEASE}:
 * another delivery is tried). A failure whose cause may pass (the KMS unreachable, access denied) is
 * released for another delivery whatever the policy, up to the group's last delivery. Each one is logged
 * and counted with topic, partition, offset, reason and delivery count, and passed to the
 * {@linkplain #setFailureListener failure listener}. Unlike the ordered consumer, nothing stops on a bad
 * record: the other records of the queue keep flowing.
 *
 * <p>Both acknowledgement modes work as in {@link KafkaShareConsumer}. Implicit (the default): what a
 * poll returned is accepted by the next poll or commit. Explicit ({@code share.acknowledgement.mode=explicit}):
 * acknowledge every record returned before the next poll.
 *
 * <pre>{@code
 * try (ShareConsumer<String, Job> workers = new SecureShareConsumer<>(configs, new StringDeserializer(), jobDeserializer)) {
 *     workers.subscribe(List.of("jobs"));
 *     while (running) {
 *         for (ConsumerRecord<String, Job> record : workers.poll(Duration.ofSeconds(1))) {
 *             Traced.handle(record, r -> run(r.value()));       // trace_id and delivery_count in the MDC
 *         }
 *     }
 * }
 * }</pre>
 */
public class SecureShareConsumer<K, V> implements ShareConsumer<K, V> {
    private static final Logger LOG = LoggerFactory.getLogger(SecureShareConsumer.class);
    private static final String IMPLICIT = "implicit";
    private static final String EXPLICIT = "explicit";

    private final ConsumerSecurity<K, V> security;
    private final KafkaShareConsumer<byte[], byte[]> delegate;
    private final BatchDecoder<K, V> decoder;
    private final boolean implicitAcknowledgement;
    private final ShareFailurePolicy policy;
    private final int deliveryCountLimit;
    /** The raw records the last poll handed over, by partition and offset: what the application's acknowledgements refer to. */
    private final Map<TopicPartition, Map<Long, ConsumerRecord<byte[], byte[]>>> delivered = new HashMap<>();
    private Consumer<FailedRecord> failureListener = failure -> { };

    public SecureShareConsumer(Map<String, Object> configs, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        this.implicitAcknowledgement = acknowledgementMode(configs).equals(IMPLICIT);
        this.security = new ConsumerSecurity<>(configs, "share-consumer", keyDeserializer, valueDeserializer,
                config -> config.shareFailurePolicy() == ShareFailurePolicy.DEAD_LETTER);
        this.decoder = security.decoder();
        this.policy = security.config().shareFailurePolicy();
        this.deliveryCountLimit = security.config().shareDeliveryCountLimit();
        // The library acknowledges the records that fail, which Kafka allows only in explicit mode; the
        // application's implicit mode is provided here instead.
        Map<String, Object> clientConfigs = new HashMap<>(security.configs());
        clientConfigs.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, EXPLICIT);
        try {
            this.delegate = new KafkaShareConsumer<>(clientConfigs, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (RuntimeException e) {
            security.close();
            throw e;
        }
    }

    public SecureShareConsumer(Properties properties, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        this(Utils.propsToMap(properties), keyDeserializer, valueDeserializer);
    }

    private static String acknowledgementMode(Map<String, ?> configs) {
        Object value = configs.get(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG);
        String mode = value == null ? IMPLICIT : value.toString().trim();
        if (!mode.equals(IMPLICIT) && !mode.equals(EXPLICIT)) {
            throw new ConfigException(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, value, "use implicit or explicit");
        }
        return mode;
    }

    /** The trace ID of a record: its {@code traceparent} header, or the trace bound in its envelope. */
    public static Optional<String> traceId(ConsumerRecord<?, ?> record) {
        return SecureConsumer.traceId(record);
    }

    /**
     * Called, on the polling thread, for every record this consumer did not hand over, once it has been
     * acknowledged as the policy says. An exception it throws is logged and does not disturb consumption.
     */
    public void setFailureListener(Consumer<FailedRecord> listener) {
        this.failureListener = listener == null ? failure -> { } : listener;
    }

    /**
     * Polls, decrypts and verifies. Records that fail are acknowledged by the policy (and those
     * acknowledgements sent at once, so a released record is soon available again) and left out, so a
     * poll can return early with fewer records than were fetched, even none. It does not poll again on
     * its own: each delivery of a released record is one poll of the application's.
     */
    @Override
    public ConsumerRecords<K, V> poll(Duration timeout) {
        acknowledgeImplicitly();
        ConsumerRecords<byte[], byte[]> raw = delegate.poll(timeout);
        delivered.clear();
        return decode(raw);
    }

    private ConsumerRecords<K, V> decode(ConsumerRecords<byte[], byte[]> raw) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>(raw.count());
        raw.forEach(records::add);
        Map<TopicPartition, List<ConsumerRecord<K, V>>> decoded = new LinkedHashMap<>();
        List<FailedRecord> failures = new ArrayList<>();
        List<BatchDecoder.Decrypted<K, V>> decrypted = decoder.decrypt(records);
        int next = 0;
        try {
            for (; next < records.size(); next++) {
                ConsumerRecord<byte[], byte[]> record = records.get(next);
                ConsumerRecord<K, V> readable;
                try {
                    readable = decrypted.get(next).decode();
                } catch (RuntimeException e) {
                    failures.add(setAside(record, e));
                    continue;
                }
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                decoded.computeIfAbsent(partition, p -> new ArrayList<>()).add(readable);
                delivered.computeIfAbsent(partition, p -> new HashMap<>()).put(record.offset(), record);
            }
        } catch (RuntimeException e) {
            // The dead-letter topic could not take a record: hand nothing over, give back what is not acknowledged.
            records.subList(next, records.size()).forEach(record -> acknowledgeRaw(record, AcknowledgeType.RELEASE));
            delivered.values().forEach(byOffset -> byOffset.values().forEach(record -> acknowledgeRaw(record, AcknowledgeType.RELEASE)));
            delivered.clear();
            delegate.commitAsync();
            failures.forEach(this::report);
            throw e;
        }
        if (!failures.isEmpty()) {
            delegate.commitAsync();
            failures.forEach(this::report);
        }
        return new ConsumerRecords<>(decoded, Map.of());
    }

    /** Applies the policy to a record that failed: dead-letters it if so, acknowledges it, and says what was done. */
    private FailedRecord setAside(ConsumerRecord<byte[], byte[]> record, RuntimeException cause) {
        RecordDecryptionException failure = RecordDecryptionException.of(record, cause);
        int delivery = record.deliveryCount().map(Short::intValue).orElse(1);
        FailedRecord.Outcome outcome = outcome(failure, delivery);
        if (outcome == FailedRecord.Outcome.DEAD_LETTERED) {
            security.deadLetters().write(record, failure);
        }
        acknowledgeRaw(record, outcome.acknowledgeType());
        return new FailedRecord(record.topic(), record.partition(), record.offset(), delivery, failure.reason(), failure.getMessage(),
                EnvelopeDecryptor.traceId(record.headers(), record.value()), outcome);
    }

    /** A passing cause gets another delivery while the group allows one; everything else follows the policy. */
    private FailedRecord.Outcome outcome(RecordDecryptionException failure, int delivery) {
        if (failure.retriable() && delivery < deliveryCountLimit) {
            return FailedRecord.Outcome.RELEASED;
        }
        return switch (policy) {
            case REJECT -> FailedRecord.Outcome.REJECTED;
            case DEAD_LETTER -> FailedRecord.Outcome.DEAD_LETTERED;
            case RELEASE -> FailedRecord.Outcome.RELEASED;
        };
    }

    private void report(FailedRecord failure) {
        security.metrics().count("failed-records", "Records not handed to the application, by what was done with them",
                "outcome", failure.outcome().name());
        boolean archived = failure.outcome() == FailedRecord.Outcome.RELEASED && failure.deliveryCount() >= deliveryCountLimit;
        LOG.warn("{}{}", failure, archived ? "; that was the group's last delivery (" + SecureConsumerConfig.SHARE_DELIVERY_COUNT_LIMIT_CONFIG
                + "=" + deliveryCountLimit + "), so the broker archives it" : "");
        try {
            failureListener.accept(failure);
        } catch (RuntimeException e) {
            LOG.error("The failure listener threw {} for record {}-{}@{}; consumption goes on", e.getClass().getName(),
                    failure.topic(), failure.partition(), failure.offset());
        }
    }

    private void acknowledgeRaw(ConsumerRecord<byte[], byte[]> record, AcknowledgeType type) {
        delegate.acknowledge(record, type);
        security.metrics().count("acknowledgements", "Acknowledgements, by type (the application's and the consumer's own)",
                "acknowledge-type", type.name());
    }

    /** Implicit mode: what the last poll returned is accepted now, as {@link KafkaShareConsumer} does on poll and commit. */
    private void acknowledgeImplicitly() {
        if (implicitAcknowledgement) {
            delivered.values().forEach(byOffset -> byOffset.values().forEach(record -> acknowledgeRaw(record, AcknowledgeType.ACCEPT)));
            delivered.clear();
        }
    }

    @Override
    public void acknowledge(ConsumerRecord<K, V> record) {
        acknowledge(record, AcknowledgeType.ACCEPT);
    }

    @Override
    public void acknowledge(ConsumerRecord<K, V> record, AcknowledgeType type) {
        acknowledge(record.topic(), record.partition(), record.offset(), type);
    }

    /** Acknowledges a record the last poll returned, by its position. */
    @Override
    public void acknowledge(String topic, int partition, long offset, AcknowledgeType type) {
        if (implicitAcknowledgement) {
            throw new IllegalStateException("Implicit acknowledgement of delivery is being used; set "
                    + ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG + "=explicit to acknowledge records one by one.");
        }
        Map<Long, ConsumerRecord<byte[], byte[]>> byOffset = delivered.get(new TopicPartition(topic, partition));
        ConsumerRecord<byte[], byte[]> record = byOffset == null ? null : byOffset.get(offset);
        if (record == null) {
            throw new IllegalStateException("The record " + topic + "-" + partition + "@" + offset
                    + " cannot be acknowledged: the last poll did not return it.");
        }
        acknowledgeRaw(record, type);
    }

    @Override
    public Map<TopicIdPartition, Optional<KafkaException>> commitSync() {
        acknowledgeImplicitly();
        return delegate.commitSync();
    }

    @Override
    public Map<TopicIdPartition, Optional<KafkaException>> commitSync(Duration timeout) {
        acknowledgeImplicitly();
        return delegate.commitSync(timeout);
    }

    @Override
    public void commitAsync() {
        acknowledgeImplicitly();
        delegate.commitAsync();
    }

    /** The callback also sees the acknowledgements this consumer sends for records that failed. */
    @Override
    public void setAcknowledgementCommitCallback(AcknowledgementCommitCallback callback) {
        delegate.setAcknowledgementCommitCallback(callback);
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
    public void unsubscribe() {
        delegate.unsubscribe();
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return delegate.clientInstanceId(timeout);
    }

    @Override
    public Optional<Integer> acquisitionLockTimeoutMs() {
        return delegate.acquisitionLockTimeoutMs();
    }

    /** Kafka's share consumer metrics and Ciphertrail's (group {@code ciphertrail-share-consumer-metrics}). */
    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return security.metrics().withClientMetrics(delegate.metrics());
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        delegate.registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        delegate.unregisterMetricFromSubscription(metric);
    }

    /** Sends pending acknowledgements and leaves the group; records acquired but not acknowledged are released. */
    @Override
    public void close() {
        try {
            delegate.close();
        } finally {
            security.close();
        }
    }

    @Override
    public void close(Duration timeout) {
        try {
            delegate.close(timeout);
        } finally {
            security.close();
        }
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }
}
