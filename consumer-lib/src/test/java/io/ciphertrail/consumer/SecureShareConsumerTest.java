package io.ciphertrail.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.producer.SecureSerializer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.MDC;

/**
 * Share groups (queues) through the secure share consumer, on a real TLS-only broker with a real KMS:
 * records split between members exactly once with their trace IDs, and records that fail handled by
 * each policy, checked in the topics, the dead-letter topic and the group's offsets.
 */
@WithSecureKafka
class SecureShareConsumerTest {
    private static final String MARKER = "JOB-PLAINTEXT-5c1e";
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    static Path kmsDir;
    static SecureClients clients;
    static EmbeddedSecureKafka kafka;

    private final CapturedLogs logs = new CapturedLogs();
    private final List<FailedRecord> failures = new CopyOnWriteArrayList<>();
    private String topic;
    private TopicPartition partition;
    private String group;

    @BeforeAll
    static void setUp(EmbeddedSecureKafka cluster) throws Exception {
        kafka = cluster;
        clients = new SecureClients(cluster, kmsDir);
    }

    @BeforeEach
    void newQueue() {
        topic = "jobs-" + UUID.randomUUID().toString().substring(0, 8);
        partition = new TopicPartition(topic, 0);
        group = "workers-" + topic;
        clients.topics(topic);
        logs.start();
    }

    @AfterEach
    void noSecretOrPlaintextWasLogged() {
        String storePassword = kafka.clientProperties("worker-service").get("ssl.keystore.password").toString();
        logs.stopAndAssertNoneOf(MARKER, storePassword, SecureClients.KMS_SECRET);
    }

    private SecureShareConsumer<String, String> worker(Object... overrides) {
        Map<String, Object> configs = clients.configs("worker-service", overrides);
        configs.put("group.id", group);
        SecureShareConsumer<String, String> worker = new SecureShareConsumer<>(configs, new StringDeserializer(), new StringDeserializer());
        worker.setFailureListener(failures::add);
        worker.subscribe(List.of(topic));
        return worker;
    }

    /** Polls until {@code done} holds for what the application got, acknowledging each record if {@code explicit}. */
    private static List<ConsumerRecord<String, String>> pollUntil(SecureShareConsumer<String, String> worker, boolean explicit,
                                                                  Predicate<List<ConsumerRecord<String, String>>> done) {
        List<ConsumerRecord<String, String>> received = new ArrayList<>();
        await().atMost(PATIENCE).until(() -> {
            for (ConsumerRecord<String, String> record : worker.poll(Duration.ofMillis(200))) {
                received.add(record);
                if (explicit) {
                    worker.acknowledge(record);
                }
            }
            return done.test(received);
        });
        return received;
    }

    private Map<String, String> produce(int count, String prefix) throws Exception {
        Map<String, String> traces = new LinkedHashMap<>();
        try (SecureProducer<String, String> producer = new SecureProducer<>(clients.configs("orders-service"), new StringSerializer(),
                new StringSerializer())) {
            for (int i = 0; i < count; i++) {
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, "job-" + i, prefix + i);
                producer.send(record).get(30, TimeUnit.SECONDS);
                traces.put(record.value(), SecureProducer.traceId(record).orElseThrow());
            }
        }
        return traces;
    }

    private record Handled(int worker, String value, String traceId, String traceInMdc, Optional<Short> deliveryCount) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"implicit", "explicit"})
    void twoWorkersHandleEveryRecordExactlyOnceWithItsTraceId(String mode) throws Exception {
        ShareGroups.configure(kafka, group);
        int count = 24;
        boolean explicit = mode.equals("explicit");
        ConcurrentLinkedQueue<Handled> handled = new ConcurrentLinkedQueue<>();
        List<Map<MetricName, ? extends Metric>> metrics = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> workers = new ArrayList<>();
        for (int id = 0; id < 2; id++) {
            int workerId = id;
            workers.add(pool.submit(() -> {
                // One record a fetch, so the two members take turns on the partition.
                try (SecureShareConsumer<String, String> worker = worker("share.acknowledgement.mode", mode,
                        "share.acquire.mode", "record_limit", "max.poll.records", 1, "client.id", "worker-" + workerId + "-" + mode)) {
                    long deadline = System.nanoTime() + PATIENCE.toNanos();
                    while (handled.size() < count && System.nanoTime() < deadline) {
                        for (ConsumerRecord<String, String> record : worker.poll(Duration.ofMillis(100))) {
                            Traced.handle(record, r -> handled.add(new Handled(workerId, r.value(), SecureShareConsumer.traceId(r).orElse(null),
                                    MDC.get(Traced.MDC_KEY), r.deliveryCount())));
                            if (explicit) {
                                worker.acknowledge(record);
                            }
                            Thread.sleep(20);
                        }
                    }
                    worker.commitSync();
                    metrics.add(Map.copyOf(worker.metrics()));
                }
                return null;
            }));
        }
        await().atMost(PATIENCE).ignoreExceptions().until(() -> ShareGroups.membersAssigned(kafka, group, partition) == 2);
        Map<String, String> sent = produce(count, "job #");
        for (Future<?> worker : workers) {
            worker.get(PATIENCE.toSeconds() * 2, TimeUnit.SECONDS);
        }
        pool.shutdown();

        List<String> values = handled.stream().map(Handled::value).toList();
        assertThat(values).hasSize(count).containsExactlyInAnyOrderElementsOf(sent.keySet());
        assertThat(handled).allSatisfy(h -> {
            assertThat(h.traceId()).isEqualTo(sent.get(h.value()));
            assertThat(h.traceInMdc()).isEqualTo(h.traceId());
            assertThat(h.deliveryCount()).contains((short) 1);
        });
        assertThat(handled.stream().map(Handled::worker).collect(Collectors.toSet())).as("both workers took jobs").containsExactlyInAnyOrder(0, 1);
        assertThat(metrics.stream().mapToDouble(m -> metric(m, "acknowledgements-total", "acknowledge-type", "ACCEPT")).sum()).isEqualTo(count);
        assertThat(metrics.stream().mapToDouble(m -> metric(m, "records-decrypted-total", null, null)).sum()).isEqualTo(count);
        // Every job is acknowledged: the group will deliver none of them again.
        await().atMost(PATIENCE).ignoreExceptions().until(() -> ShareGroups.lag(kafka, group, partition) == 0);
    }

    @Test
    void acknowledgementFollowsKafkasRulesInBothModes() throws Exception {
        ShareGroups.configure(kafka, group);
        produce(2, "job #");
        try (SecureShareConsumer<String, String> worker = worker()) {
            List<ConsumerRecord<String, String>> received = pollUntil(worker, false, r -> !r.isEmpty());
            assertThatThrownBy(() -> worker.acknowledge(received.get(0))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("share.acknowledgement.mode=explicit");
        }
        group = group + "-explicit";
        ShareGroups.configure(kafka, group);
        try (SecureShareConsumer<String, String> worker = worker("share.acknowledgement.mode", "explicit")) {
            List<ConsumerRecord<String, String>> received = pollUntil(worker, false, r -> !r.isEmpty());
            assertThatThrownBy(() -> worker.poll(Duration.ofMillis(100))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("must be acknowledged");
            assertThatThrownBy(() -> worker.acknowledge(topic, 0, 999, org.apache.kafka.clients.consumer.AcknowledgeType.ACCEPT))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining(topic + "-0@999");
            received.forEach(worker::acknowledge);
            worker.commitSync();
        }
    }

    /** Offsets and raw forms of three records no reader may accept, between two good ones. */
    private record Planted(long tampered, long unencrypted, long wrongTopic, Map<Long, ProducerRecord<byte[], byte[]>> raw) {
        Set<Long> offsets() {
            return Set.of(tampered, unencrypted, wrongTopic);
        }
    }

    private Planted plantBadRecords() throws Exception {
        String other = topic + "-other";
        clients.topics(other);
        Map<Long, ProducerRecord<byte[], byte[]>> raw = new HashMap<>();
        long[] offsets = new long[3];
        try (SecureProducer<String, String> producer = new SecureProducer<>(clients.configs("orders-service"), new StringSerializer(),
                new StringSerializer());
             SecureSerializer<String> serializer = new SecureSerializer<>(new StringSerializer());
             KafkaProducer<byte[], byte[]> writer = new KafkaProducer<>(clients.configs("legacy-service"), new ByteArraySerializer(),
                     new ByteArraySerializer())) {
            serializer.configure(clients.configs("orders-service"), false);
            producer.send(new ProducerRecord<>(topic, "good-1")).get(30, TimeUnit.SECONDS);

            Headers tamperedHeaders = new RecordHeaders();
            byte[] tampered = serializer.serialize(topic, tamperedHeaders, "tampered job " + MARKER);
            tampered[tampered.length - 1] ^= 0x01;
            Headers plainHeaders = new RecordHeaders();
            plainHeaders.add("origin", "legacy".getBytes(StandardCharsets.UTF_8));
            Headers copiedHeaders = new RecordHeaders();
            byte[] copied = serializer.serialize(other, copiedHeaders, "job for elsewhere " + MARKER);
            List<ProducerRecord<byte[], byte[]>> bad = List.of(
                    new ProducerRecord<>(topic, null, 1_700_000_000_001L, bytes("k-tampered"), tampered, tamperedHeaders),
                    new ProducerRecord<>(topic, null, 1_700_000_000_002L, bytes("k-plain"), bytes("{\"card\":\"" + MARKER + "\"}"), plainHeaders),
                    new ProducerRecord<>(topic, null, 1_700_000_000_003L, bytes("k-copied"), copied, copiedHeaders));
            for (int i = 0; i < bad.size(); i++) {
                offsets[i] = writer.send(bad.get(i)).get(30, TimeUnit.SECONDS).offset();
                raw.put(offsets[i], bad.get(i));
            }
            producer.send(new ProducerRecord<>(topic, "good-2")).get(30, TimeUnit.SECONDS);
        }
        return new Planted(offsets[0], offsets[1], offsets[2], raw);
    }

    @Test
    void tamperedUnencryptedAndForeignRecordsAreRejectedReportedAndNeverDeliveredAgain() throws Exception {
        ShareGroups.configure(kafka, group);
        Planted planted = plantBadRecords();
        try (SecureShareConsumer<String, String> worker = worker()) {
            List<ConsumerRecord<String, String>> received = pollUntil(worker, false, r -> r.size() >= 2 && failures.size() >= 3);
            worker.commitSync();
            assertThat(received).extracting(ConsumerRecord::value).containsExactly("good-1", "good-2");
            assertThat(failures).extracting(FailedRecord::offset, FailedRecord::reason, FailedRecord::outcome, FailedRecord::deliveryCount)
                    .containsExactlyInAnyOrder(
                            tuple(planted.tampered(), "TAMPERED", FailedRecord.Outcome.REJECTED, 1),
                            tuple(planted.unencrypted(), "NOT_ENCRYPTED", FailedRecord.Outcome.REJECTED, 1),
                            tuple(planted.wrongTopic(), "WRONG_TOPIC", FailedRecord.Outcome.REJECTED, 1));
            assertThat(failures).allSatisfy(f -> assertThat(f.topic()).isEqualTo(topic))
                    .filteredOn(f -> f.offset() != planted.unencrypted()).allSatisfy(f -> assertThat(f.traceId()).isPresent());
            Map<MetricName, ? extends Metric> metrics = worker.metrics();
            assertThat(metric(metrics, "failed-records-total", "outcome", "REJECTED")).isEqualTo(3);
            assertThat(metric(metrics, "acknowledgements-total", "acknowledge-type", "REJECT")).isEqualTo(3);
            assertThat(metric(metrics, "acknowledgements-total", "acknowledge-type", "ACCEPT")).isEqualTo(2);
            assertThat(metric(metrics, "record-failures-total", "reason", "TAMPERED")).isEqualTo(1);
            assertThat(ManagementFactory.getPlatformMBeanServer()
                    .queryNames(new ObjectName("io.ciphertrail:type=ciphertrail-share-consumer-metrics,*"), null)).isNotEmpty();
        }
        assertThat(logs.lines()).anyMatch(line -> line.startsWith("Record " + topic + "-0@" + planted.tampered() + " (delivery 1, trace ")
                && line.contains(") rejected: ") && line.contains("TAMPERED: record on topic '" + topic + "' partition 0 offset " + planted.tampered()));

        // A second member of the group never receives them: only what is written next.
        long sentinel;
        try (KafkaProducer<byte[], byte[]> writer = new KafkaProducer<>(clients.configs("legacy-service"), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            sentinel = writer.send(new ProducerRecord<>(topic, bytes("sentinel"))).get(30, TimeUnit.SECONDS).offset();
        }
        Map<String, Object> rawMember = clients.configs("auditor");
        rawMember.put("group.id", group);
        List<Long> delivered = new ArrayList<>();
        try (KafkaShareConsumer<byte[], byte[]> second = new KafkaShareConsumer<>(rawMember, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            second.subscribe(List.of(topic));
            await().atMost(PATIENCE).until(() -> {
                second.poll(Duration.ofMillis(200)).forEach(r -> delivered.add(r.offset()));
                return delivered.contains(sentinel);
            });
            second.commitSync();
        }
        assertThat(delivered).containsExactly(sentinel);

        // The operator can still read each one at its offset.
        try (KafkaConsumer<byte[], byte[]> operator = new KafkaConsumer<>(clients.configs("operator"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            operator.assign(List.of(partition));
            operator.seek(partition, planted.tampered());
            List<ConsumerRecord<byte[], byte[]>> kept = new ArrayList<>();
            await().atMost(PATIENCE).until(() -> {
                operator.poll(Duration.ofMillis(200)).forEach(kept::add);
                return !kept.isEmpty();
            });
            assertThat(kept.get(0).value()).isEqualTo(planted.raw().get(planted.tampered()).value());
        }
    }

    @Test
    void deadLetterPolicyWritesFailedRecordsByteIdenticalWithReasonsThenAcknowledgesThem() throws Exception {
        ShareGroups.configure(kafka, group);
        String deadLetters = topic + ".dlq";
        kafka.createTopics(1, deadLetters);
        Planted planted = plantBadRecords();
        try (SecureShareConsumer<String, String> worker = worker("share.acknowledgement.mode", "explicit",
                SecureConsumerConfig.SHARE_FAILURE_POLICY_CONFIG, "DEAD_LETTER", SecureConsumerConfig.DEAD_LETTER_TOPIC_CONFIG, deadLetters)) {
            List<ConsumerRecord<String, String>> received = pollUntil(worker, true, r -> r.size() >= 2 && failures.size() >= 3);
            worker.commitSync();
            assertThat(received).extracting(ConsumerRecord::value).containsExactly("good-1", "good-2");
            assertThat(failures).extracting(FailedRecord::offset, FailedRecord::outcome)
                    .containsExactlyInAnyOrder(tuple(planted.tampered(), FailedRecord.Outcome.DEAD_LETTERED),
                            tuple(planted.unencrypted(), FailedRecord.Outcome.DEAD_LETTERED),
                            tuple(planted.wrongTopic(), FailedRecord.Outcome.DEAD_LETTERED));
            assertThat(metric(worker.metrics(), "acknowledgements-total", "acknowledge-type", "ACCEPT")).isEqualTo(5);
        }

        List<ConsumerRecord<byte[], byte[]>> moved = readAll(deadLetters, 3);
        assertThat(moved).hasSize(3);
        Map<String, String> reasons = Map.of(Long.toString(planted.tampered()), "TAMPERED", Long.toString(planted.unencrypted()),
                "NOT_ENCRYPTED", Long.toString(planted.wrongTopic()), "WRONG_TOPIC");
        for (ConsumerRecord<byte[], byte[]> record : moved) {
            String offset = text(record, DeadLetterHeaders.OFFSET);
            ProducerRecord<byte[], byte[]> original = planted.raw().get(Long.parseLong(offset));
            assertThat(record.key()).isEqualTo(original.key());
            assertThat(record.value()).isEqualTo(original.value());
            assertThat(record.timestamp()).isEqualTo(original.timestamp());
            for (Header header : original.headers()) {
                assertThat(record.headers().lastHeader(header.key()).value()).isEqualTo(header.value());
            }
            assertThat(text(record, DeadLetterHeaders.REASON)).isEqualTo(reasons.get(offset));
            assertThat(text(record, DeadLetterHeaders.TOPIC)).isEqualTo(topic);
            assertThat(text(record, DeadLetterHeaders.PARTITION)).isEqualTo("0");
            assertThat(text(record, DeadLetterHeaders.GROUP)).isEqualTo(group);
            assertThat(text(record, DeadLetterHeaders.DELIVERY_COUNT)).isEqualTo("1");
            assertThat(text(record, DeadLetterHeaders.DETAIL)).contains("offset " + offset).doesNotContain(MARKER);
        }
        // Each was acknowledged once its copy was: the group delivers none of them again.
        await().atMost(PATIENCE).ignoreExceptions().until(() -> ShareGroups.lag(kafka, group, partition) == 0);
    }

    @Test
    void deadLetterTopicThatCannotTakeARecordFailsThePollAndLosesNothing() throws Exception {
        ShareGroups.configure(kafka, group);
        plantBadRecords();
        String missing = topic + ".no-such-dlq";
        try (SecureShareConsumer<String, String> worker = worker(SecureConsumerConfig.SHARE_FAILURE_POLICY_CONFIG, "DEAD_LETTER",
                SecureConsumerConfig.DEAD_LETTER_TOPIC_CONFIG, missing, "max.block.ms", 2_000)) {
            AtomicReference<KafkaException> thrown = new AtomicReference<>();
            await().atMost(PATIENCE).until(() -> {
                try {
                    assertThat(worker.poll(Duration.ofMillis(200))).as("nothing is handed over from a poll that failed").isEmpty();
                    return false;
                } catch (KafkaException e) {
                    thrown.set(e);
                    return true;
                }
            });
            assertThat(thrown.get()).hasMessageContaining("to dead-letter topic '" + missing + "'")
                    .hasMessageContaining("record " + topic + "-0@").hasMessageContaining("not acknowledged");
        }
        // Everything that poll took was given back: another member gets the good records and meets the bad ones again.
        failures.clear();
        try (SecureShareConsumer<String, String> worker = worker()) {
            List<ConsumerRecord<String, String>> received = pollUntil(worker, false, r -> r.size() >= 2 && failures.size() >= 3);
            worker.commitSync();
            assertThat(received).extracting(ConsumerRecord::value).containsExactly("good-1", "good-2");
            assertThat(failures).allSatisfy(f -> assertThat(f.deliveryCount()).isEqualTo(2));
        }
    }

    @Test
    void releasePolicyGivesRecordsBackUntilAMemberThatCanReadThemDecryptsThem() throws Exception {
        ShareGroups.configure(kafka, group, "share.delivery.count.limit", "2");
        Planted planted = plantBadRecords();
        Object[] release = {SecureConsumerConfig.SHARE_FAILURE_POLICY_CONFIG, "RELEASE", SecureConsumerConfig.SHARE_DELIVERY_COUNT_LIMIT_CONFIG, 2};

        // A member whose KMS lacks the topic's key gives back what it cannot read, good records included.
        Path otherKms = kmsDir.resolve("other-" + topic + ".p12");
        Map<String, Object> otherKmsSettings = Map.of(KmsConfig.TYPE_CONFIG, "local", LocalKmsProvider.KEYSTORE_PATH_CONFIG, otherKms.toString(),
                LocalKmsProvider.PASSWORD_FILE_CONFIG, kmsDir.resolve("kms-password").toString());
        KmsConfig.initialize(otherKmsSettings);
        List<FailedRecord> first;
        try (SecureShareConsumer<String, String> keyless = worker(release[0], release[1], release[2], release[3],
                LocalKmsProvider.KEYSTORE_PATH_CONFIG, otherKms.toString())) {
            assertThat(pollUntil(keyless, false, r -> !failures.isEmpty())).isEmpty();
            first = List.copyOf(failures);
        }
        assertThat(first).allSatisfy(f -> {
            assertThat(f.outcome()).isEqualTo(FailedRecord.Outcome.RELEASED);
            assertThat(f.deliveryCount()).isEqualTo(1);
        });
        long goodOne = 0;
        assertThat(first).extracting(FailedRecord::offset).contains(goodOne);
        Set<Long> releasedFirst = first.stream().map(FailedRecord::offset).collect(Collectors.toSet());

        // A member with the key reads the good ones on their next delivery; the bad ones go back until the limit.
        failures.clear();
        List<ConsumerRecord<String, String>> received;
        try (SecureShareConsumer<String, String> able = worker(release)) {
            received = pollUntil(able, false, r -> r.size() >= 2 && failures.stream().filter(f -> f.deliveryCount() == 2)
                    .map(FailedRecord::offset).collect(Collectors.toSet()).containsAll(planted.offsets()));
            able.commitSync();
        }
        assertThat(received).extracting(ConsumerRecord::value).containsExactly("good-1", "good-2");
        for (ConsumerRecord<String, String> record : received) {
            assertThat(record.deliveryCount()).contains((short) (releasedFirst.contains(record.offset()) ? 2 : 1));
        }
        assertThat(failures).allSatisfy(f -> assertThat(f.outcome()).isEqualTo(FailedRecord.Outcome.RELEASED))
                .extracting(FailedRecord::offset).containsOnlyElementsOf(planted.offsets());
        assertThat(logs.lines()).anyMatch(line -> line.contains("that was the group's last delivery"));
        // Released at the group's last delivery, so archived by the broker: nothing is left to deliver.
        await().atMost(PATIENCE).ignoreExceptions().until(() -> ShareGroups.lag(kafka, group, partition) == 0);
    }

    /** A copy of the shared key store that a test can break and mend, as a KMS outage would. */
    private Path keyStoreCopy() throws Exception {
        Path copy = kmsDir.resolve("outage-" + topic + ".p12");
        SecureFiles.writeOwnerOnly(copy, Files.readAllBytes(kmsDir.resolve("keks.p12")));
        return copy;
    }

    @Test
    void kmsOutageIsReleasedWhateverThePolicyAndTheRecordDecryptsOnceTheKmsIsBack() throws Exception {
        ShareGroups.configure(kafka, group);
        String deadLetters = topic + ".dlq";
        kafka.createTopics(1, deadLetters);
        Map<String, String> sent = produce(1, "job during an outage #");
        Path store = keyStoreCopy();
        byte[] good = Files.readAllBytes(store);
        try (SecureShareConsumer<String, String> worker = worker(SecureConsumerConfig.SHARE_FAILURE_POLICY_CONFIG, "DEAD_LETTER",
                SecureConsumerConfig.DEAD_LETTER_TOPIC_CONFIG, deadLetters, LocalKmsProvider.KEYSTORE_PATH_CONFIG, store.toString())) {
            SecureFiles.writeOwnerOnly(store, "not a key store".getBytes(StandardCharsets.UTF_8));
            worker.setFailureListener(failure -> {
                failures.add(failure);
                if (failure.deliveryCount() == 2) {
                    SecureFiles.writeOwnerOnly(store, good);
                }
            });
            List<ConsumerRecord<String, String>> received = pollUntil(worker, false, r -> !r.isEmpty());
            assertThat(received).extracting(ConsumerRecord::value).containsExactlyElementsOf(sent.keySet());
            assertThat(received.get(0).deliveryCount()).contains((short) 3);
            assertThat(SecureShareConsumer.traceId(received.get(0))).contains(sent.values().iterator().next());
            worker.commitSync();
        }
        assertThat(failures).extracting(FailedRecord::deliveryCount, FailedRecord::reason, FailedRecord::outcome).containsExactly(
                tuple(1, "KMS_UNAVAILABLE", FailedRecord.Outcome.RELEASED), tuple(2, "KMS_UNAVAILABLE", FailedRecord.Outcome.RELEASED));
        assertThat(readAll(deadLetters, 0)).isEmpty();
    }

    @Test
    void kmsOutageAtTheGroupsLastDeliveryIsHandledByThePolicy() throws Exception {
        ShareGroups.configure(kafka, group, "share.delivery.count.limit", "2");
        String deadLetters = topic + ".dlq";
        kafka.createTopics(1, deadLetters);
        produce(1, "job during a long outage #");
        Path store = keyStoreCopy();
        try (SecureShareConsumer<String, String> worker = worker(SecureConsumerConfig.SHARE_FAILURE_POLICY_CONFIG, "DEAD_LETTER",
                SecureConsumerConfig.DEAD_LETTER_TOPIC_CONFIG, deadLetters, SecureConsumerConfig.SHARE_DELIVERY_COUNT_LIMIT_CONFIG, 2,
                LocalKmsProvider.KEYSTORE_PATH_CONFIG, store.toString())) {
            SecureFiles.writeOwnerOnly(store, "not a key store".getBytes(StandardCharsets.UTF_8));
            assertThat(pollUntil(worker, false, r -> failures.size() >= 2)).isEmpty();
            worker.commitSync();
        }
        assertThat(failures).extracting(FailedRecord::deliveryCount, FailedRecord::reason, FailedRecord::outcome).containsExactly(
                tuple(1, "KMS_UNAVAILABLE", FailedRecord.Outcome.RELEASED), tuple(2, "KMS_UNAVAILABLE", FailedRecord.Outcome.DEAD_LETTERED));
        List<ConsumerRecord<byte[], byte[]>> moved = readAll(deadLetters, 1);
        assertThat(text(moved.get(0), DeadLetterHeaders.REASON)).isEqualTo("KMS_UNAVAILABLE");
        assertThat(text(moved.get(0), DeadLetterHeaders.DELIVERY_COUNT)).isEqualTo("2");
    }

    @Test
    void insecureOrInconsistentSettingsAreRefusedBeforeConnecting() {
        Map<String, Object> plaintext = clients.configs("worker-service", "security.protocol", "PLAINTEXT", "group.id", group);
        assertThatThrownBy(() -> new SecureShareConsumer<>(plaintext, new StringDeserializer(), new StringDeserializer()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("security.protocol");
        Map<String, Object> mode = clients.configs("worker-service", "share.acknowledgement.mode", "sometimes", "group.id", group);
        assertThatThrownBy(() -> new SecureShareConsumer<>(mode, new StringDeserializer(), new StringDeserializer()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("share.acknowledgement.mode").hasMessageContaining("explicit");
        Map<String, Object> noTopic = clients.configs("worker-service", SecureConsumerConfig.SHARE_FAILURE_POLICY_CONFIG, "DEAD_LETTER",
                "group.id", group);
        assertThatThrownBy(() -> new SecureShareConsumer<>(noTopic, new StringDeserializer(), new StringDeserializer()))
                .isInstanceOf(ConfigException.class).hasMessageContaining(SecureConsumerConfig.DEAD_LETTER_TOPIC_CONFIG)
                .hasMessageContaining(SecureConsumerConfig.SHARE_FAILURE_POLICY_CONFIG);
        Map<String, Object> skip = clients.configs("worker-service", SecureConsumerConfig.SHARE_FAILURE_POLICY_CONFIG, "SKIP", "group.id", group);
        assertThatThrownBy(() -> new SecureShareConsumer<>(skip, new StringDeserializer(), new StringDeserializer()))
                .isInstanceOf(ConfigException.class).hasMessageContaining(SecureConsumerConfig.SHARE_FAILURE_POLICY_CONFIG);
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String from, int expected) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(clients.configs("operator"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition dlq = new TopicPartition(from, 0);
            reader.assign(List.of(dlq));
            reader.seekToBeginning(List.of(dlq));
            long end = reader.endOffsets(List.of(dlq)).get(dlq);
            assertThat(end).as("records in " + from).isEqualTo(expected);
            await().atMost(PATIENCE).until(() -> {
                reader.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= end;
            });
        }
        return records;
    }

    static double metric(Map<MetricName, ? extends Metric> metrics, String name, String tag, String value) {
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().name().equals(name) && e.getKey().group().startsWith("ciphertrail-")
                        && (tag == null || value.equals(e.getKey().tags().get(tag))))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(ConsumerRecord<?, ?> record, String header) {
        Header found = record.headers().lastHeader(header);
        assertThat(found).as("header " + header).isNotNull();
        return new String(found.value(), StandardCharsets.UTF_8);
    }
}
