package io.ciphertrail.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.core.envelope.DeleteProof;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.producer.SecureProducer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delete's proof travels in a header and its value stays null, so the broker's log cleaner removes the deleted
 * key as it always did. A broker of its own: the cleaner looks for work every 15 s by default, and changing that
 * on a shared broker reconfigures every other test's logs.
 */
@WithSecureKafka(brokerProperties = "log.cleaner.backoff.ms=200")
class CompactedDeletesTest {

    @Test
    void theLogCleanerStillRemovesADeletedKeyAndReadersVerifyTheDelete(EmbeddedSecureKafka kafka, @TempDir Path kmsDir) throws Exception {
        SecureClients clients = new SecureClients(kafka, kmsDir);
        String topic = "accounts-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
                    "cleanup.policy", "compact", "segment.ms", "100", "min.cleanable.dirty.ratio", "0.01",
                    "min.compaction.lag.ms", "0")))).all().get(30, TimeUnit.SECONDS);
        }
        clients.keks(topic);
        try (SecureProducer<String, String> producer = new SecureProducer<>(clients.configs("accounts-service"),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "account-1", "balance 100")).get();
            producer.send(new ProducerRecord<>(topic, "account-1", null)).get();
            Thread.sleep(200);
            producer.send(new ProducerRecord<>(topic, "account-2", "balance 7")).get();   // rolls the segment: the old one can be cleaned
        }

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(clients.rawRecords(topic, 2))
                        .noneMatch(r -> "account-1".equals(SecureClients.keyText(r)) && r.value() != null));

        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(clients.consumerConfigs("billing-service", "g-" + topic),
                new StringDeserializer(), new StringDeserializer())) {
            List<ConsumerRecord<String, String>> records = SecureClients.read(consumer, topic, 2);
            assertThat(records).extracting(ConsumerRecord::key, ConsumerRecord::value).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("account-1", null), org.assertj.core.groups.Tuple.tuple("account-2", "balance 7"));
            assertThat(records.get(0).headers().lastHeader(DeleteProof.HEADER)).isNotNull();
        }
    }
}
