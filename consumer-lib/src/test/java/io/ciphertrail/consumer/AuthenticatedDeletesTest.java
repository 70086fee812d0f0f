package io.ciphertrail.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.envelope.DeleteProof;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.envelope.EnvelopeException;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.producer.SecureSerializer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deletes (null values) through a real broker: readers refuse a delete any other writer sent, or one carrying
 * another delete's proof; deserializers in Kafka Streams check them too. Compaction: {@link CompactedDeletesTest}.
 */
@WithSecureKafka
class AuthenticatedDeletesTest {
    @TempDir
    static Path kmsDir;
    static SecureClients clients;
    static EmbeddedSecureKafka kafka;

    @BeforeAll
    static void setUp(EmbeddedSecureKafka cluster) throws Exception {
        kafka = cluster;
        clients = new SecureClients(cluster, kmsDir);
    }

    @Test
    void deletesFromOtherWritersOrWithACopiedProofAreDeadLetteredAndGenuineOnesPass() throws Exception {
        String topic = "customers-" + UUID.randomUUID().toString().substring(0, 8);
        String deadLetters = topic + ".dlq";
        clients.topics(topic);
        kafka.createTopics(1, deadLetters);
        try (SecureProducer<String, String> producer = producer();
             KafkaProducer<String, String> intruder = new KafkaProducer<>(clients.configs("intruder"), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "customer-1", null)).get();
            intruder.send(new ProducerRecord<>(topic, "customer-2", null)).get();
            Headers genuine = clients.rawRecords(topic, 1).get(0).headers();
            intruder.send(new ProducerRecord<>(topic, null, "customer-3", null, genuine)).get();   // the genuine proof, copied
            producer.send(new ProducerRecord<>(topic, "customer-4", "still here")).get();
        }
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", "dlq-" + topic,
                SecureConsumerConfig.FAILURE_POLICY_CONFIG, "DEAD_LETTER", SecureConsumerConfig.DEAD_LETTER_TOPIC_CONFIG, deadLetters),
                new StringDeserializer(), new StringDeserializer())) {
            List<ConsumerRecord<String, String>> records = SecureClients.read(consumer, topic, 2);
            assertThat(records).extracting(ConsumerRecord::key).containsExactly("customer-1", "customer-4");
            assertThat(consumer.metrics().entrySet()).anyMatch(e -> e.getKey().name().equals("record-failures-total")
                    && "UNAUTHENTICATED_DELETE".equals(e.getKey().tags().get("reason")) && ((Double) e.getValue().metricValue()) == 2.0);
        }
        List<ConsumerRecord<byte[], byte[]>> moved = clients.rawRecords(deadLetters, 2);
        assertThat(moved).extracting(SecureClients::keyText).containsExactly("customer-2", "customer-3");
        assertThat(moved).allSatisfy(r -> {
            assertThat(r.value()).isNull();
            assertThat(new String(r.headers().lastHeader(DeadLetterHeaders.REASON).value(), StandardCharsets.UTF_8))
                    .isEqualTo("UNAUTHENTICATED_DELETE");
        });
        assertThat(new String(moved.get(1).headers().lastHeader(DeadLetterHeaders.DETAIL).value(), StandardCharsets.UTF_8))
                .contains("made for another record key");
    }

    @Test
    void deserializersInStreamsCheckDeletesWithTheKeyTheKeyDeserializerSaw() {
        String topic = "ledger";
        clients.keks(topic);
        Map<String, Object> configs = clients.configs("ledger-service");
        Headers headers = new RecordHeaders();
        byte[] key;
        try (SecureSerializer<String> keys = new SecureSerializer<>(new StringSerializer());
             SecureSerializer<String> values = new SecureSerializer<>(new StringSerializer())) {
            keys.configure(configs, true);
            values.configure(configs, false);
            key = keys.serialize(topic, headers, "entry-1");
            values.serialize(topic, headers, null);
        }
        try (SecureSerde<String> keys = new SecureSerde<>(org.apache.kafka.common.serialization.Serdes.String());
             SecureSerde<String> values = new SecureSerde<>(org.apache.kafka.common.serialization.Serdes.String())) {
            keys.configure(configs, true);
            values.configure(configs, false);
            // Kafka Streams deserializes the key, then the value, with the record's one Headers object.
            assertThat(keys.deserializer().deserialize(topic, headers, key)).isEqualTo("entry-1");
            assertThat(values.deserializer().deserialize(topic, headers, (byte[]) null)).isNull();

            Headers forged = new RecordHeaders();
            keys.deserializer().deserialize(topic, forged, "entry-2".getBytes(StandardCharsets.UTF_8));
            assertThatThrownBy(() -> values.deserializer().deserialize(topic, forged, (byte[]) null))
                    .isInstanceOfSatisfying(EnvelopeException.class, e -> assertThat(e.reason()).isEqualTo(EnvelopeException.Reason.UNAUTHENTICATED_DELETE));
        }
        Map<String, Object> migrating = new HashMap<>(configs);
        migrating.put(EnvelopeConfig.PLAIN_DELETES_TOPICS_CONFIG, topic);
        try (SecureDeserializer<String> values = new SecureDeserializer<>(new StringDeserializer())) {
            values.configure(migrating, false);
            Headers plain = new RecordHeaders();
            assertThat(values.deserialize(topic, plain, (byte[]) null)).isNull();
            assertThat(plain.lastHeader("ciphertrail.passthrough").value()).isEqualTo("delete".getBytes(StandardCharsets.UTF_8));
        }
    }

    private SecureProducer<String, String> producer() {
        return new SecureProducer<>(clients.configs("accounts-service"), new StringSerializer(), new StringSerializer());
    }
}
