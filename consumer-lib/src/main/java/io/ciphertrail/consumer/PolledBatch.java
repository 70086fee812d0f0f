package io.ciphertrail.consumer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Records a {@link SecureConsumer} has polled from Kafka and not yet returned to the application, with their
 * decryption under way. Kafka's position of each partition is past them, so the consumer answers positions and
 * commits from here, and a partition {@linkplain #withdraw withdrawn} (sought, paused, revoked) is never returned.
 * Used by the polling thread only.
 */
final class PolledBatch<K, V> {
    private final ConsumerRecords<byte[], byte[]> raw;
    private final BatchDecoder.Batch<K, V> decryption;
    private final Set<TopicPartition> withdrawn = new HashSet<>();

    PolledBatch(ConsumerRecords<byte[], byte[]> raw, BatchDecoder<K, V> decoder) {
        this.raw = raw;
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>(raw.count());
        for (TopicPartition partition : raw.partitions()) {
            all.addAll(raw.records(partition));
        }
        this.decryption = decoder.start(all);
    }

    ConsumerRecords<byte[], byte[]> raw() {
        return raw;
    }

    BatchDecoder.Batch<K, V> decryption() {
        return decryption;
    }

    /** Whether records of {@code partition} are held here for the application. */
    boolean holds(TopicPartition partition) {
        return !withdrawn.contains(partition) && !raw.records(partition).isEmpty();
    }

    /** The partitions whose records are held here. */
    Set<TopicPartition> held() {
        Set<TopicPartition> held = new HashSet<>(raw.partitions());
        held.removeAll(withdrawn);
        return held;
    }

    boolean withdrawn(TopicPartition partition) {
        return withdrawn.contains(partition);
    }

    /** Where the application's position of a held partition is: its first record here (and that record's leader epoch). */
    OffsetAndMetadata position(TopicPartition partition) {
        ConsumerRecord<byte[], byte[]> first = raw.records(partition).get(0);
        return new OffsetAndMetadata(first.offset(), first.leaderEpoch(), "");
    }

    /** Kafka's position of {@code partition} right after this batch was polled: past its last record. */
    long next(TopicPartition partition) {
        OffsetAndMetadata next = raw.nextOffsets().get(partition);
        List<ConsumerRecord<byte[], byte[]>> records = raw.records(partition);
        return next != null ? next.offset() : records.get(records.size() - 1).offset() + 1;
    }

    /** Never returns the records of {@code partition}: the caller has moved Kafka's position elsewhere. */
    void withdraw(TopicPartition partition) {
        withdrawn.add(partition);
    }
}
