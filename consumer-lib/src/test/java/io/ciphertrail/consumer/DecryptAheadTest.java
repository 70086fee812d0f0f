package io.ciphertrail.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.producer.SecureProducer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link SecureConsumer} polls Kafka a batch ahead of the application and decrypts it meanwhile. Records held ahead
 * are never committed, skipped or returned twice, whatever the application does between polls (commit, seek, pause,
 * wakeup, close), through a rebalance, and under the FAIL policy. Each test first checks that records were held
 * ahead, so that it exercises them.
 */
@WithSecureKafka
class DecryptAheadTest {
    private static final int BATCH = 200;
    private static final int PER_PARTITION = 3_000;

    @TempDir
    static Path kmsDir;
    static SecureClients clients;

    private String topic;

    @BeforeAll
    static void setUp(EmbeddedSecureKafka cluster) throws Exception {
        clients = new SecureClients(cluster, kmsDir);
    }

    @BeforeEach
    void newTopic(EmbeddedSecureKafka cluster) {
        topic = "ahead-" + UUID.randomUUID().toString().substring(0, 8);
        cluster.createTopics(2, topic);
        clients.keks(topic);
    }

    private void produce(int perPartition) {
        try (SecureProducer<String, String> producer = new SecureProducer<>(clients.configs("orders-service"),
                new StringSerializer(), new StringSerializer())) {
            for (int partition = 0; partition < 2; partition++) {
                for (int i = 0; i < perPartition; i++) {
                    producer.send(new ProducerRecord<>(topic, partition, null, partition + "-" + i));
                }
            }
            producer.flush();
        }
    }

    private SecureConsumer<String, String> consumer(String group, Object... overrides) {
        Object[] settings = new Object[overrides.length + 6];
        System.arraycopy(new Object[] {ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, BATCH,
                SecureConsumerConfig.DECRYPT_THREADS_CONFIG, 2}, 0, settings, 0, 6);
        System.arraycopy(overrides, 0, settings, 6, overrides.length);
        return new SecureConsumer<>(clients.consumerConfigs("billing-service", group, settings), new StringDeserializer(), new StringDeserializer());
    }

    private TopicPartition partition(int number) {
        return new TopicPartition(topic, number);
    }

    private static List<ConsumerRecord<String, String>> pollUntilRecords(SecureConsumer<String, String> consumer) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            return !records.isEmpty();
        });
        return records;
    }

    private static int index(ConsumerRecord<String, String> record) {
        return Integer.parseInt(record.value().substring(record.value().indexOf('-') + 1));
    }

    private static List<Integer> range(int from, int to) {
        return IntStream.range(from, to).boxed().toList();
    }

    @Test
    void aCommitWithoutOffsetsCommitsWhatWasReturnedNotWhatWasPolledAhead() {
        produce(PER_PARTITION);
        String group = "commit-" + topic;
        Map<TopicPartition, Long> next = new HashMap<>();
        try (SecureConsumer<String, String> consumer = consumer(group)) {
            consumer.assign(List.of(partition(0), partition(1)));
            List<ConsumerRecord<String, String>> returned = pollUntilRecords(consumer);
            assertThat(consumer.recordsHeldAhead()).as("records held ahead").isPositive();
            for (ConsumerRecord<String, String> record : returned) {
                next.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
            }
            next.forEach((partition, position) -> {
                assertThat(consumer.position(partition)).as("position of %s", partition).isEqualTo(position);
                assertThat(consumer.currentLag(partition)).as("lag of %s", partition).hasValue(PER_PARTITION - position);
            });
            consumer.commitSync();
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.of(partition(0), partition(1)));
            for (TopicPartition partition : List.of(partition(0), partition(1))) {
                OffsetAndMetadata offset = committed.get(partition);
                if (offset != null) {
                    assertThat(offset.offset()).as("committed offset of %s", partition).isEqualTo(consumer.position(partition));
                }
            }
            next.forEach((partition, position) -> assertThat(committed.get(partition).offset()).isEqualTo(position));
        }
        // a new member of the group goes on exactly after the last record returned
        try (SecureConsumer<String, String> successor = consumer(group)) {
            successor.assign(List.of(partition(0), partition(1)));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> record : successor.poll(Duration.ofMillis(200))) {
                    Long expected = next.remove(new TopicPartition(record.topic(), record.partition()));
                    if (expected != null) {
                        assertThat(record.offset()).as("first record of partition %d after the commit", record.partition()).isEqualTo(expected);
                    }
                }
                return next.isEmpty();
            });
        }
    }

    @Test
    void aCommitWithoutOffsetsAlsoCommitsThePositionOfAPartitionNothingWasReturnedOf() {
        try (SecureProducer<String, String> producer = new SecureProducer<>(clients.configs("orders-service"),
                new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < PER_PARTITION; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, "0-" + i));
            }
            producer.flush();
        }
        String group = "idle-" + topic;
        try (SecureConsumer<String, String> consumer = consumer(group)) {
            consumer.assign(List.of(partition(0), partition(1)));
            List<ConsumerRecord<String, String>> returned = pollUntilRecords(consumer);
            assertThat(consumer.recordsHeldAhead()).as("records held ahead").isPositive();
            consumer.commitSync();
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.of(partition(0), partition(1)));
            assertThat(committed.get(partition(0)).offset()).isEqualTo(returned.get(returned.size() - 1).offset() + 1);
            // Kafka commits the position of every assigned partition it has one for, records returned or not
            assertThat(committed.get(partition(1))).as("committed offset of the empty partition").isNotNull();
            assertThat(committed.get(partition(1)).offset()).isZero();
        }
    }

    @Test
    void pausesSeeksAndAWakeupAnswerAsOfTheRecordsReturned() {
        produce(PER_PARTITION);
        TopicPartition partition = partition(0);
        try (SecureConsumer<String, String> consumer = consumer("seek-" + topic)) {
            consumer.assign(List.of(partition));
            List<ConsumerRecord<String, String>> returned = pollUntilRecords(consumer);
            assertThat(consumer.recordsHeldAhead()).as("records held ahead").isPositive();
            long next = returned.get(returned.size() - 1).offset() + 1;

            consumer.pause(List.of(partition));
            assertThat(consumer.position(partition)).isEqualTo(next);
            consumer.commitSync();
            assertThat(consumer.committed(Set.of(partition)).get(partition).offset()).as("committed while paused").isEqualTo(next);
            for (int i = 0; i < 5; i++) {
                assertThat(consumer.poll(Duration.ofMillis(100))).as("records of a paused partition").isEmpty();
            }
            consumer.resume(List.of(partition));
            List<ConsumerRecord<String, String>> afterPause = pollUntilRecords(consumer);
            assertThat(afterPause).extracting(DecryptAheadTest::index)
                    .as("records after the pause").containsExactlyElementsOf(range((int) next, (int) next + afterPause.size()));
            assertThat(consumer.recordsHeldAhead()).as("records held ahead").isPositive();
            next += afterPause.size();

            // a seek Kafka refuses changes nothing
            assertThatThrownBy(() -> consumer.seek(partition, -1)).isInstanceOf(IllegalArgumentException.class);
            List<ConsumerRecord<String, String>> afterRefusedSeek = pollUntilRecords(consumer);
            assertThat(afterRefusedSeek.get(0).offset()).as("first record after a refused seek").isEqualTo(next);
            next += afterRefusedSeek.size();

            // a wakeup that reaches the poll Kafka is asked ahead: the records in hand come first, then the wakeup
            assertThat(consumer.recordsHeldAhead()).as("records held ahead").isPositive();
            consumer.wakeup();
            List<ConsumerRecord<String, String>> aroundWakeup = new ArrayList<>();
            boolean wokenUp = false;
            for (int i = 0; i < 3 && !wokenUp; i++) {
                try {
                    consumer.poll(Duration.ofMillis(200)).forEach(aroundWakeup::add);
                } catch (WakeupException e) {
                    wokenUp = true;
                }
            }
            assertThat(wokenUp).as("the wakeup was thrown").isTrue();
            aroundWakeup.addAll(pollUntilRecords(consumer));
            assertThat(aroundWakeup).extracting(DecryptAheadTest::index)
                    .as("records around the wakeup").containsExactlyElementsOf(range((int) next, (int) next + aroundWakeup.size()));

            consumer.seek(partition, 10);
            List<ConsumerRecord<String, String>> afterSeek = pollUntilRecords(consumer);
            assertThat(afterSeek).extracting(DecryptAheadTest::index).containsExactlyElementsOf(range(10, 10 + afterSeek.size()));

            consumer.seekToEnd(List.of(partition));
            assertThat(consumer.poll(Duration.ofMillis(300))).as("records after seeking to the end").isEmpty();
            assertThat(consumer.position(partition)).isEqualTo(PER_PARTITION);
        }
    }

    @Test
    void aRebalanceAndACloseTakeBackWhatWasHeldAheadSoNoRecordIsLostOrReadTwice() {
        produce(PER_PARTITION);
        String group = "rebalance-" + topic;
        Map<Integer, List<Integer>> seen = new HashMap<>();
        AtomicBoolean polling = new AtomicBoolean();
        List<String> revocations = new ArrayList<>();
        Object[] fastRebalance = {ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 200};
        try (SecureConsumer<String, String> first = consumer(group, fastRebalance); SecureConsumer<String, String> second = consumer(group, fastRebalance)) {
            first.subscribe(List.of(topic), committingOnRevocation(first, "first", polling, revocations));
            pollUntilRecords(first).forEach(r -> seen.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(index(r)));
            assertThat(first.recordsHeldAhead()).as("records held ahead").isPositive();

            // commits happen only in the revocation callbacks, in the rebalance and at close
            second.subscribe(List.of(topic), committingOnRevocation(second, "second", polling, revocations));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (SecureConsumer<String, String> consumer : List.of(first, second)) {
                    polling.set(true);
                    try {
                        consumer.poll(Duration.ofMillis(50)).forEach(r -> seen.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(index(r)));
                    } finally {
                        polling.set(false);
                    }
                }
                return !second.assignment().isEmpty() && seen.values().stream().mapToInt(List::size).sum() > 0;
            });
        }
        assertThat(revocations).as("the first member gave up partitions in a rebalance").contains("first in a poll");
        // a later member goes on from what the two committed
        try (SecureConsumer<String, String> successor = consumer(group)) {
            successor.assign(List.of(partition(0), partition(1)));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                successor.poll(Duration.ofMillis(200)).forEach(r -> seen.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(index(r)));
                return successor.position(partition(0)) == PER_PARTITION && successor.position(partition(1)) == PER_PARTITION;
            });
        }
        for (int partition = 0; partition < 2; partition++) {
            assertThat(seen.get(partition)).as("records of partition %d, each once, in order", partition).containsExactlyElementsOf(range(0, PER_PARTITION));
        }
    }

    /** A listener that commits, without offsets, what was consumed: the usual pattern. */
    private static ConsumerRebalanceListener committingOnRevocation(SecureConsumer<String, String> consumer, String name,
                                                                     AtomicBoolean polling, List<String> revocations) {
        return new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                if (!partitions.isEmpty()) {
                    revocations.add(name + (polling.get() ? " in a poll" : " at close"));
                    consumer.commitSync();
                }
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            }
        };
    }

    @Test
    void aRecordThatFailsInTheBatchHeldAheadStopsThePartitionAtItsOffset() throws Exception {
        long badOffset;
        try (SecureProducer<String, String> producer = new SecureProducer<>(clients.configs("orders-service"), new StringSerializer(), new StringSerializer());
             KafkaProducer<byte[], byte[]> plain = new KafkaProducer<>(clients.configs("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 300; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, "0-" + i));
            }
            producer.flush();
            badOffset = plain.send(new ProducerRecord<>(topic, 0, null, "not encrypted".getBytes(StandardCharsets.UTF_8))).get().offset();
            for (int i = 301; i < 600; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, "0-" + i));
            }
            producer.flush();
        }
        assertThat(badOffset).isEqualTo(300);
        try (SecureConsumer<String, String> consumer = consumer("fail-" + topic)) {
            consumer.assign(List.of(partition(0)));
            List<ConsumerRecord<String, String>> records = new ArrayList<>(pollUntilRecords(consumer));
            assertThat(records).hasSizeLessThan(300);
            assertThat(consumer.recordsHeldAhead()).as("records held ahead, the failing one among them").isPositive();
            RecordDecryptionException failure = SecureClients.pollUntilFailure(consumer, records);
            assertThat(records).extracting(DecryptAheadTest::index).containsExactlyElementsOf(range(0, 300));
            assertThat(failure).isNotNull();
            assertThat(failure.offset()).isEqualTo(badOffset);
            assertThat(failure.reason()).isEqualTo("NOT_ENCRYPTED");
            assertThat(consumer.position(partition(0))).isEqualTo(badOffset);
            // the consumer stays on it: the next polls return nothing until one throws for it again
            List<ConsumerRecord<String, String>> past = new ArrayList<>();
            RecordDecryptionException again = SecureClients.pollUntilFailure(consumer, past);
            assertThat(past).as("records returned past the failed record").isEmpty();
            assertThat(again).isNotNull();
            assertThat(again.offset()).isEqualTo(badOffset);
        }
    }

    @Test
    void anAutoCommittingConsumerPollsAheadAndCommitsOnlyWhatItReturned() throws Exception {
        produce(PER_PARTITION);
        String group = "auto-" + topic;
        TopicPartition partition = partition(0);
        long next;
        // Kafka's defaults: a group.id, enable.auto.commit not set (on)
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", group,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, BATCH, ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, 100),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(partition));
            List<ConsumerRecord<String, String>> returned = pollUntilRecords(consumer);
            assertThat(consumer.recordsHeldAhead()).as("records held ahead").isPositive();
            long returnedUpTo = returned.get(returned.size() - 1).offset() + 1;
            Thread.sleep(150);
            // this poll's auto-commit is due: it commits what the application had, then returns what was held
            List<ConsumerRecord<String, String>> more = new ArrayList<>(consumer.poll(Duration.ofMillis(200)).records(partition));
            assertThat(more).isNotEmpty();
            assertThat(more.get(0).offset()).isEqualTo(returnedUpTo);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(consumer.committed(Set.of(partition)).get(partition)).as("auto-committed offset")
                            .isNotNull().extracting(OffsetAndMetadata::offset).isEqualTo(returnedUpTo));
            assertThat(consumer.recordsHeldAhead()).as("records held ahead").isPositive();
            next = more.get(more.size() - 1).offset() + 1;
            consumer.wakeup(); // meant for a poll that never comes: the close ignores it, as Kafka's does, and commits
        }
        // the close commits as of the records returned, not past what was held
        try (SecureConsumer<String, String> successor = consumer(group)) {
            successor.assign(List.of(partition));
            assertThat(pollUntilRecords(successor).get(0).offset()).as("first record after the close").isEqualTo(next);
        }
    }
}
