package io.ciphertrail.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.core.envelope.EnvelopeException;
import io.ciphertrail.core.trace.TraceContext;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.producer.SecureProducer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
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
import org.slf4j.MDC;

/** The producer and consumer libraries against a real TLS-only broker, with real clients and a real KMS. */
@WithSecureKafka
class SecureClientsTest {
    private static final String MARKER = "PLAINTEXT-MARKER-7f3a";

    @TempDir
    static Path kmsDir;
    static SecureClients clients;
    static EmbeddedSecureKafka kafka;

    private final CapturedLogs logs = new CapturedLogs();
    private String topic;

    @BeforeAll
    static void setUp(EmbeddedSecureKafka cluster) throws Exception {
        kafka = cluster;
        clients = new SecureClients(cluster, kmsDir);
    }

    @BeforeEach
    void newTopicAndLogCapture() {
        topic = "orders-" + UUID.randomUUID().toString().substring(0, 8);
        clients.topics(topic);
        logs.start();
    }

    @AfterEach
    void noSecretOrPlaintextWasLogged() {
        String storePassword = kafka.clientProperties("orders-service").get("ssl.keystore.password").toString();
        logs.stopAndAssertNoneOf(MARKER, storePassword, SecureClients.KMS_SECRET);
    }

    private SecureProducer<String, String> producer(Object... overrides) {
        return new SecureProducer<>(clients.configs("orders-service", overrides), new StringSerializer(), new StringSerializer());
    }

    private List<ConsumerRecord<String, String>> consume(SecureConsumer<String, String> consumer, int count) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            return records.size() >= count;
        });
        return records;
    }

    @Test
    void encryptedRoundTripKeepsTheTraceIdAndLeavesNoPlaintextInTopicsOrOnDisk() throws Exception {
        ProducerRecord<String, String> sent = new ProducerRecord<>(topic, "order-1", "{\"card\":\"" + MARKER + "\"}");
        try (SecureProducer<String, String> producer = producer()) {
            producer.send(sent).get();
            assertThat(producer.metrics().entrySet()).anyMatch(e -> e.getKey().name().equals("records-encrypted-total")
                    && ((Double) e.getValue().metricValue()) == 1.0);
            // Workload certificates live 30 days; the gauge reads the configured key store.
            assertThat(producer.metrics().entrySet()).anyMatch(e -> e.getKey().name().equals("certificate-days-left")
                    && ((Double) e.getValue().metricValue()) == 29.0);
            assertThat(ManagementFactory.getPlatformMBeanServer()
                    .queryNames(new ObjectName("io.ciphertrail:type=ciphertrail-producer-metrics,*"), null)).isNotEmpty();
        }
        String sentTrace = SecureProducer.traceId(sent).orElseThrow();

        List<String> traceInMdc = new CopyOnWriteArrayList<>();
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", "billing"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            ConsumerRecord<String, String> received = consume(consumer, 1).get(0);
            assertThat(received.value()).isEqualTo(sent.value());
            assertThat(received.key()).isEqualTo("order-1");
            assertThat(SecureConsumer.traceId(received)).contains(sentTrace);
            Traced.handle(received, r -> traceInMdc.add(MDC.get(Traced.MDC_KEY)));
            assertThat(MDC.get(Traced.MDC_KEY)).isNull();
        }
        assertThat(traceInMdc).containsExactly(sentTrace);

        // A plain consumer of the same topic sees an envelope, not the order.
        try (KafkaConsumer<byte[], byte[]> plain = new KafkaConsumer<>(clients.consumerConfigs("auditor", "plain-" + topic),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            plain.subscribe(List.of(topic));
            List<byte[]> values = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                plain.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                return !values.isEmpty();
            });
            assertThat(new String(values.get(0), StandardCharsets.ISO_8859_1)).doesNotContain(MARKER).doesNotContain("card");
            assertThat(values.get(0)[0]).isEqualTo((byte) 0xC7);
        }

        // The broker's log segments hold no plaintext either.
        Path partitionDir = kafka.directory().resolve("data").resolve(topic + "-0");
        List<Path> segments;
        try (Stream<Path> files = Files.list(partitionDir)) {
            segments = files.filter(f -> f.toString().endsWith(".log")).toList();
        }
        assertThat(segments).isNotEmpty();
        for (Path segment : segments) {
            assertThat(new String(Files.readAllBytes(segment), StandardCharsets.ISO_8859_1)).doesNotContain(MARKER);
        }
    }

    @Test
    void unencryptedRecordStopsTheConsumerAtItsOffsetUnderTheFailPolicy() throws Exception {
        long badOffset;
        try (SecureProducer<String, String> producer = producer();
             KafkaProducer<byte[], byte[]> plain = new KafkaProducer<>(clients.configs("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "good-1")).get();
            badOffset = plain.send(new ProducerRecord<>(topic, ("{\"card\":\"" + MARKER + "\"}").getBytes(StandardCharsets.UTF_8))).get().offset();
            producer.send(new ProducerRecord<>(topic, "good-2")).get();
        }
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", "fail-" + topic),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            RecordDecryptionException failure = SecureClients.pollUntilFailure(consumer, records);
            assertThat(records).extracting(ConsumerRecord::value).containsExactly("good-1");
            assertThat(failure).isNotNull();
            assertThat(failure.reason()).isEqualTo("NOT_ENCRYPTED");
            assertThat(failure.topicPartition()).isEqualTo(new TopicPartition(topic, 0));
            assertThat(failure.offset()).isEqualTo(badOffset);
            assertThat(failure.getMessage()).contains("topic '" + topic + "' partition 0 offset " + badOffset).doesNotContain(MARKER);
            assertThat(failure.getCause()).isInstanceOf(EnvelopeException.class);

            // It does not move past the record: the next poll meets it again.
            assertThat(consumer.position(new TopicPartition(topic, 0))).isEqualTo(badOffset);
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(5))).isInstanceOf(RecordDecryptionException.class);
        }
    }

    @Test
    void decryptionOnSeveralThreadsKeepsOrderTracesAndStopsExactlyAtTheFailedRecord() throws Exception {
        long badOffset;
        List<byte[]> traces = new ArrayList<>();
        try (SecureProducer<String, String> producer = producer();
             KafkaProducer<byte[], byte[]> plain = new KafkaProducer<>(clients.configs("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 300; i++) {
                byte[] trace = TraceContext.newTrace().toString().getBytes(StandardCharsets.US_ASCII);
                traces.add(trace);
                RecordHeaders headers = new RecordHeaders();
                headers.add(TraceContext.HEADER, trace.clone());
                producer.send(new ProducerRecord<>(topic, null, null, null, "before-" + i, headers));
            }
            producer.flush();
            badOffset = plain.send(new ProducerRecord<>(topic, "not encrypted".getBytes(StandardCharsets.UTF_8))).get().offset();
            for (int i = 0; i < 300; i++) {
                producer.send(new ProducerRecord<>(topic, "after-" + i));
            }
            producer.flush();
        }
        List<String> deserializedOn = new CopyOnWriteArrayList<>();
        org.apache.kafka.common.serialization.Deserializer<String> recording = (t, data) -> {
            deserializedOn.add(Thread.currentThread().getName());
            return new String(data, StandardCharsets.UTF_8);
        };
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", "threads-" + topic,
                SecureConsumerConfig.DECRYPT_THREADS_CONFIG, 3), new StringDeserializer(), recording)) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            RecordDecryptionException failure = SecureClients.pollUntilFailure(consumer, records);
            assertThat(records).extracting(ConsumerRecord::value)
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 300).mapToObj(i -> "before-" + i).toList());
            // each record has its producer's traceparent back, byte for byte, once, equal to Kafka's header of that value
            for (int i = 0; i < 300; i++) {
                Header[] restored = records.get(i).headers().toArray();
                assertThat(restored).as("headers of record %d", i).hasSize(1);
                assertThat(restored[0].key()).isEqualTo(TraceContext.HEADER);
                assertThat(restored[0].value()).as("traceparent of record %d", i).isEqualTo(traces.get(i));
                RecordHeader kafkas = new RecordHeader(TraceContext.HEADER, traces.get(i));
                assertThat(restored[0]).isEqualTo(kafkas).hasSameHashCodeAs(kafkas);
                // and from Kafka's side: its RecordHeader.equals compares classes, so an application comparing with
                // a header it built (or two records' Headers) needs Kafka's own type, not one that merely looks alike
                assertThat(kafkas).isEqualTo(restored[0]);
            }
            assertThat(failure).isNotNull();
            assertThat(failure.offset()).isEqualTo(badOffset);
            assertThat(failure.reason()).isEqualTo("NOT_ENCRYPTED");
            assertThat(consumer.position(new TopicPartition(topic, 0))).isEqualTo(badOffset);
            // decryption was shared out, the application's deserializer ran on the polling thread only
            assertThat(Thread.getAllStackTraces().keySet()).anyMatch(t -> t.getName().startsWith("ciphertrail-decrypt-"));
            assertThat(deserializedOn).hasSize(300).containsOnly(Thread.currentThread().getName());
        }
    }

    @Test
    void unencryptedRecordIsMovedByteIdenticalToTheDeadLetterTopicAndConsumptionContinues() throws Exception {
        String deadLetters = topic + ".dlq";
        kafka.createTopics(1, deadLetters);
        byte[] rawValue = ("{\"card\":\"" + MARKER + "\"}").getBytes(StandardCharsets.UTF_8);
        RecordMetadata bad;
        RecordHeaders headers = new RecordHeaders();
        headers.add("origin", "legacy".getBytes(StandardCharsets.UTF_8));
        try (SecureProducer<String, String> producer = producer();
             KafkaProducer<byte[], byte[]> plain = new KafkaProducer<>(clients.configs("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "good-1")).get();
            bad = plain.send(new ProducerRecord<>(topic, null, 1_700_000_000_000L, "k".getBytes(StandardCharsets.UTF_8), rawValue, headers)).get();
            producer.send(new ProducerRecord<>(topic, "good-2")).get();
        }
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", "dlq-" + topic,
                SecureConsumerConfig.FAILURE_POLICY_CONFIG, "DEAD_LETTER", SecureConsumerConfig.DEAD_LETTER_TOPIC_CONFIG, deadLetters),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            assertThat(consume(consumer, 2)).extracting(ConsumerRecord::value).containsExactly("good-1", "good-2");
        }
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(clients.consumerConfigs("operator", "read-" + deadLetters),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            reader.subscribe(List.of(deadLetters));
            List<ConsumerRecord<byte[], byte[]>> moved = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                reader.poll(Duration.ofMillis(200)).forEach(moved::add);
                return !moved.isEmpty();
            });
            ConsumerRecord<byte[], byte[]> record = moved.get(0);
            assertThat(record.value()).isEqualTo(rawValue);
            assertThat(record.key()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
            assertThat(record.timestamp()).isEqualTo(1_700_000_000_000L);
            assertThat(record.headers().lastHeader("origin").value()).isEqualTo("legacy".getBytes(StandardCharsets.UTF_8));
            assertThat(text(record, DeadLetterHeaders.REASON)).isEqualTo("NOT_ENCRYPTED");
            assertThat(text(record, DeadLetterHeaders.TOPIC)).isEqualTo(topic);
            assertThat(text(record, DeadLetterHeaders.PARTITION)).isEqualTo("0");
            assertThat(text(record, DeadLetterHeaders.OFFSET)).isEqualTo(Long.toString(bad.offset()));
            assertThat(text(record, DeadLetterHeaders.DETAIL)).contains("offset " + bad.offset()).doesNotContain(MARKER);
        }
    }

    /** Polls, collecting values, until a poll throws (the failure) or 60 s pass (null). */
    private static String text(ConsumerRecord<?, ?> record, String header) {
        return new String(record.headers().lastHeader(header).value(), StandardCharsets.UTF_8);
    }

    @Test
    void recordEncryptedForAnotherTopicIsRefusedAsWrongTopic() throws Exception {
        String other = topic + "-copy";
        clients.topics(other);
        byte[] envelope;
        try (SecureProducer<String, String> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, "moved")).get();
        }
        try (KafkaConsumer<byte[], byte[]> raw = new KafkaConsumer<>(clients.consumerConfigs("copier", "copy-" + topic),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> copier = new KafkaProducer<>(clients.configs("copier"), new ByteArraySerializer(), new ByteArraySerializer())) {
            raw.subscribe(List.of(topic));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                raw.poll(Duration.ofMillis(200)).forEach(records::add);
                return !records.isEmpty();
            });
            envelope = records.get(0).value();
            copier.send(new ProducerRecord<>(other, null, null, null, envelope, records.get(0).headers())).get();
        }
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", "wrong-" + other),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(other));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThatThrownBy(() -> consumer.poll(Duration.ofMillis(500)))
                            .isInstanceOfSatisfying(RecordDecryptionException.class, e -> assertThat(e.reason()).isEqualTo("WRONG_TOPIC")));
        }
    }

    @Test
    void aWriterHoldingOnlyAnotherTopicsKeyCannotWriteRecordsThisTopicsReadersAccept() throws Exception {
        String other = topic + "-a";
        clients.topics(other);
        // The writer may use only the other topic's KEK, and maps this topic onto it to write here anyway.
        try (SecureProducer<String, String> forger = producer("ciphertrail.envelope.kek.alias.mappings",
                topic + "=ciphertrail/topic/" + other)) {
            forger.send(new ProducerRecord<>(topic, "refund to the attacker")).get();
        }
        // Version 2 names the KEK by fingerprint: the first 4 bytes of SHA-256 of the alias.
        String fingerprint = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(("ciphertrail/topic/" + other).getBytes(StandardCharsets.UTF_8)), 0, 4);
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", "kek-" + topic),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThatThrownBy(() -> consumer.poll(Duration.ofMillis(500)))
                            .isInstanceOfSatisfying(RecordDecryptionException.class, e -> {
                                assertThat(e.reason()).isEqualTo("WRONG_KEK");
                                assertThat(e.getMessage()).contains("fingerprint " + fingerprint)
                                        .contains("expects 'ciphertrail/topic/" + topic + "'");
                            }));
        }
    }

    @Test
    void aKmsThatRefusesTheConsumerPausesItUnderDeadLetterInsteadOfDivertingTheStream(@TempDir Path ownKms) throws Exception {
        SecureClients own = new SecureClients(kafka, ownKms);
        own.keks(topic);
        String deadLetters = topic + ".dlq";
        kafka.createTopics(1, deadLetters);
        try (SecureProducer<String, String> producer = new SecureProducer<>(own.configs("orders-service"), new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "order-1")).get();
        }
        Path store = ownKms.resolve("keks.p12");
        Path kept = ownKms.resolve("keks.p12.kept");
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(own.consumerConfigs("billing-service", "retry-" + topic,
                SecureConsumerConfig.FAILURE_POLICY_CONFIG, "DEAD_LETTER", SecureConsumerConfig.DEAD_LETTER_TOPIC_CONFIG, deadLetters),
                new StringDeserializer(), new StringDeserializer())) {
            // The key store the consumer opened is swapped for one its password does not open: access is denied.
            Map<String, Object> other = own.kms();
            Path otherPassword = ownKms.resolve("other-password");
            io.ciphertrail.core.io.SecureFiles.writeOwnerOnly(otherPassword, "another-password".getBytes(StandardCharsets.UTF_8));
            other.put("ciphertrail.kms.local.password.file", otherPassword.toString());
            other.put("ciphertrail.kms.local.keystore.path", ownKms.resolve("other.p12").toString());
            io.ciphertrail.core.kms.KmsConfig.initialize(other);
            Files.move(store, kept);
            Files.copy(ownKms.resolve("other.p12"), store, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            RecordDecryptionException[] refused = new RecordDecryptionException[1];
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThatThrownBy(() -> consumer.poll(Duration.ofMillis(500)))
                    .isInstanceOfSatisfying(RecordDecryptionException.class, e -> refused[0] = e));
            assertThat(refused[0].reason()).isEqualTo("KMS_ACCESS_DENIED");
            assertThat(refused[0].retriable()).isTrue();
            assertThat(refused[0].getMessage()).contains("tries it again on the next poll");

            Files.move(kept, store, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertThat(consume(consumer, 1)).extracting(ConsumerRecord::value).containsExactly("order-1");
        }
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(clients.consumerConfigs("operator", "read-" + deadLetters),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            reader.subscribe(List.of(deadLetters));
            assertThat(reader.poll(Duration.ofSeconds(2)).isEmpty()).as("nothing was dead-lettered").isTrue();
        }
    }

    @Test
    void passedThroughRecordsCarryAMarkAndAreCounted() throws Exception {
        try (SecureProducer<String, String> producer = producer();
             KafkaProducer<byte[], byte[]> plain = new KafkaProducer<>(clients.configs("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "verified")).get();
            plain.send(new ProducerRecord<>(topic, "injected".getBytes(StandardCharsets.UTF_8))).get();
        }
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", "pass-" + topic,
                "ciphertrail.envelope.unencrypted.records", "PASSTHROUGH"), new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            List<ConsumerRecord<String, String>> records = consume(consumer, 2);
            assertThat(records).extracting(ConsumerRecord::value).containsExactly("verified", "injected");
            assertThat(records.get(0).headers().lastHeader("ciphertrail.passthrough")).isNull();
            assertThat(records.get(1).headers().lastHeader("ciphertrail.passthrough").value()).isEqualTo("value".getBytes(StandardCharsets.UTF_8));
            assertThat(consumer.metrics().entrySet()).anyMatch(e -> e.getKey().name().equals("records-passed-through-total")
                    && "NOT_ENCRYPTED".equals(e.getKey().tags().get("reason")) && ((Double) e.getValue().metricValue()) == 1.0);
        }
    }

    @Test
    void producerRefusesToWeakenDurabilityUnlessAllowedOutright() {
        assertThatThrownBy(this::weakProducer)
                .hasMessageContaining("acks").hasMessageContaining("ciphertrail.producer.weak.durability.allowed");
    }

    private void weakProducer() {
        producer("acks", "1").close();
    }

    @Test
    void producerAndConsumerRefuseAPlaintextListener() {
        Map<String, Object> configs = clients.configs("orders-service", "security.protocol", "PLAINTEXT");
        assertThatThrownBy(() -> new SecureProducer<>(configs, new StringSerializer(), new StringSerializer()))
                .hasMessageContaining("security.protocol").hasMessageContaining("Set security.protocol=SSL");
        configs.put("group.id", "g");
        assertThatThrownBy(() -> new SecureConsumer<>(configs, new StringDeserializer(), new StringDeserializer()))
                .hasMessageContaining("security.protocol");
    }
}
