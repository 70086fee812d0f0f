package io.ciphertrail.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.producer.SecureProducer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What encryption costs on the broker's disk: the log segments of an encrypted topic read record by record (Kafka's own
 * parser of the segment files), against the same values sent in plaintext. Headers count: they are part of each stored
 * record.
 */
@WithSecureKafka
class StoredBytesTest {
    private static final int RECORDS = 200;
    private static final int VALUE_SIZE = 1024;

    @TempDir
    static Path kmsDir;

    @Test
    void aTracedKibibyteRecordCostsAtMostEightyBytesOnDiskOverPlaintextWithDefaultSettings(EmbeddedSecureKafka kafka) throws Exception {
        SecureClients clients = new SecureClients(kafka, kmsDir);
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String encrypted = "stored-" + suffix;
        String plain = "stored-plain-" + suffix;
        clients.topics(encrypted);
        kafka.createTopics(1, plain);
        Random random = new Random(15);
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            byte[] value = new byte[VALUE_SIZE];
            random.nextBytes(value);
            values.add(value);
        }
        try (SecureProducer<byte[], byte[]> producer = new SecureProducer<>(clients.configs("orders-service"),
                new ByteArraySerializer(), new ByteArraySerializer());
             KafkaProducer<byte[], byte[]> plainProducer = new KafkaProducer<>(kafka.clientProperties("orders-service"),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            for (byte[] value : values) {
                // One record per batch in both topics: every record gets the same batch framing and offset and
                // timestamp deltas, so the difference between the two logs is the encryption's alone.
                producer.send(new ProducerRecord<>(encrypted, value)).get();
                plainProducer.send(new ProducerRecord<>(plain, value)).get();
            }
        }

        List<Record> stored = storedRecords(kafka, encrypted);
        List<Record> baseline = storedRecords(kafka, plain);
        assertThat(stored).hasSize(RECORDS);
        assertThat(baseline).hasSize(RECORDS);
        long total = 0;
        for (int i = 0; i < RECORDS; i++) {
            Record record = stored.get(i);
            // The trace travels inside the envelope: no traceparent header, and no other header either.
            assertThat(record.headers()).as("headers of record %d", i).isEmpty();
            int overhead = record.sizeInBytes() - baseline.get(i).sizeInBytes();
            // 74 fixed bytes (wire-format.md, byte budget) and the IV counter: 1 byte below 128, 2 below 16,384.
            assertThat(overhead).as("bytes record %d costs over plaintext", i).isEqualTo(74 + (i < 128 ? 1 : 2))
                    .isLessThanOrEqualTo(80);
            total += overhead;
        }
        // The same figure as the benchmark's: the log segments' sizes.
        assertThat(segmentBytes(kafka, encrypted) - segmentBytes(kafka, plain)).isEqualTo(total);

        // And every record decrypts, with its traceparent header given back.
        try (SecureConsumer<byte[], byte[]> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", "stored-" + suffix),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<ConsumerRecord<byte[], byte[]>> read = SecureClients.read(consumer, encrypted, RECORDS);
            assertThat(read).hasSize(RECORDS);
            for (int i = 0; i < RECORDS; i++) {
                assertThat(read.get(i).value()).isEqualTo(values.get(i));
                assertThat(read.get(i).headers().lastHeader("traceparent")).isNotNull();
            }
        }
    }

    private static List<Path> segments(EmbeddedSecureKafka kafka, String topic) throws IOException {
        try (Stream<Path> files = Files.list(kafka.directory().resolve("data").resolve(topic + "-0"))) {
            return files.filter(f -> f.toString().endsWith(".log")).sorted().toList();
        }
    }

    private static List<Record> storedRecords(EmbeddedSecureKafka kafka, String topic) throws IOException {
        List<Record> records = new ArrayList<>();
        for (Path segment : segments(kafka, topic)) {
            try (FileRecords log = FileRecords.open(segment.toFile(), false)) {
                for (FileChannelRecordBatch batch : log.batches()) {
                    batch.forEach(records::add);
                }
            }
        }
        return records;
    }

    private static long segmentBytes(EmbeddedSecureKafka kafka, String topic) throws IOException {
        long size = 0;
        for (Path segment : segments(kafka, topic)) {
            size += Files.size(segment);
        }
        return size;
    }
}
