package io.ciphertrail.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Runs only where a Docker engine exists; elsewhere the extension reports it as skipped. */
@WithSecureKafka(runtime = WithSecureKafka.Runtime.CONTAINER)
class ContainerSecureKafkaTest {

    @Test
    void producesAndConsumesOverMutualTlsInAContainer(SecureKafkaCluster kafka) throws Exception {
        assertThat(kafka).isInstanceOf(ContainerSecureKafka.class);
        kafka.createTopics(1, "container-roundtrip");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafka.clientProperties("svc"),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("container-roundtrip", "k", "v")).get();
        }
        List<ConsumerRecord<String, String>> records =
                EmbeddedSecureKafkaTest.consume(kafka.clientProperties("reader"), "container-roundtrip", 1);
        assertThat(records).extracting(ConsumerRecord::value).containsExactly("v");
    }
}
