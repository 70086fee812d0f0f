package io.ciphertrail.faults;

import io.ciphertrail.consumer.SecureConsumer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Everything committed in a topic, from its first offset to its end, found record by record into a
 * {@link DeliveryLedger}: the final count after a fault, independent of any consumer group's offsets.
 */
public final class TopicContents {
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(2);

    private TopicContents() {
    }

    /**
     * Reads {@code topic} through the {@link SecureConsumer} (every record decrypted and verified),
     * {@code read_committed}. A record whose decrypted number differs from its key's fails the read.
     *
     * @return the number of records read
     */
    public static long readSecure(Map<String, Object> consumerSettings, String topic, DeliveryLedger ledger) {
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(standalone(consumerSettings),
                new StringDeserializer(), new StringDeserializer())) {
            return read(consumer, topic, (record, number) -> {
                if (NumberedRecords.numberInValue(record.value()) != number) {
                    throw new IllegalStateException("Record at " + topic + "-" + record.partition() + "@" + record.offset()
                            + " has key " + number + " but holds record " + NumberedRecords.numberInValue(record.value()));
                }
            }, ledger);
        }
    }

    /**
     * Reads only the keys of {@code topic}, {@code read_committed}, without decrypting: for the quarantine
     * topic, whose records stay exactly as they arrived (possibly unencrypted, possibly for another key).
     */
    public static long readKeys(Map<String, Object> consumerSettings, String topic, DeliveryLedger ledger) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(standalone(consumerSettings),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            return read(consumer, topic, (record, number) -> { }, ledger);
        }
    }

    private static Map<String, Object> standalone(Map<String, Object> settings) {
        Map<String, Object> props = new HashMap<>(settings);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    private static <V> long read(Consumer<String, V> consumer, String topic, BiConsumer<ConsumerRecord<String, V>, Long> check,
                                 DeliveryLedger ledger) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        if (partitions.isEmpty()) {
            throw new IllegalStateException("Topic " + topic + " does not exist");
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        long read = 0;
        while (partitions.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Could not read " + topic + " to its end " + end + " within "
                        + READ_TIMEOUT.toSeconds() + " s");
            }
            for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(500))) {
                long number = NumberedRecords.number(record.key());
                if (number < 0) {
                    continue;
                }
                check.accept(record, number);
                ledger.found(number, record.topic(), record.partition(), record.offset());
                read++;
            }
        }
        return read;
    }
}
