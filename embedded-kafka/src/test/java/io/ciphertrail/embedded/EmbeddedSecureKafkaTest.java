package io.ciphertrail.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@WithSecureKafka
class EmbeddedSecureKafkaTest {

    @Test
    void producesAndConsumesOverMutualTls(EmbeddedSecureKafka kafka) throws Exception {
        kafka.createTopics(1, "roundtrip");
        RecordMetadata sent;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafka.clientProperties("orders-service"),
                new StringSerializer(), new StringSerializer())) {
            sent = producer.send(new ProducerRecord<>("roundtrip", "k1", "hello over mTLS")).get();
        }
        List<ConsumerRecord<String, String>> records = consume(kafka.clientProperties("billing-service"), "roundtrip", 1);
        assertThat(records).singleElement().satisfies(record -> {
            assertThat(record.value()).isEqualTo("hello over mTLS");
            assertThat(record.offset()).isEqualTo(sent.offset());
        });
    }

    @Test
    void clientPropertiesAreTlsOnlyWithHostnameVerification(EmbeddedSecureKafka kafka) {
        Map<String, Object> props = kafka.clientProperties("svc");
        assertThat(props).containsEntry(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL")
                .containsEntry(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, "https")
                .containsEntry(SslConfigs.SSL_ENABLED_PROTOCOLS_CONFIG, "TLSv1.3,TLSv1.2")
                .containsEntry(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        assertThat(kafka.listeners()).containsOnlyKeys("SSL");
        assertThat(kafka.plaintextBootstrapServers()).isEmpty();
        assertThatThrownBy(kafka::plaintextClientProperties).hasMessageContaining("plaintextListener(true)");
    }

    @Test
    void clientWithoutCertificateIsRefused(EmbeddedSecureKafka kafka) {
        Map<String, Object> props = kafka.clientProperties("svc");
        props.remove(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG);
        props.remove(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG);
        props.remove(SslConfigs.SSL_KEY_PASSWORD_CONFIG);
        props.remove(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG);
        assertRefused(props);
    }

    @Test
    void clientWithCertificateFromAnotherCaIsRefused(EmbeddedSecureKafka kafka, @TempDir Path dir) {
        CertificateAuthority otherCa = CertificateAuthority.create("Other CA");
        TlsFiles foreign = TlsFiles.write(dir, otherCa.issueWorkload("intruder"), List.of(kafka.caCertificate()));
        Map<String, Object> props = new HashMap<>(foreign.kafkaSslProperties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        assertRefused(props);
    }

    @Test
    void clientConnectingByANameTheBrokerCertificateLacksFailsHostnameVerification() {
        // This broker's certificate names only 127.0.0.1, while clients are sent to "localhost".
        try (EmbeddedSecureKafka kafka = EmbeddedSecureKafka.builder().brokerDnsNames().start()) {
            Map<String, Object> props = kafka.clientProperties("svc");
            assertThat(props.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG).toString()).startsWith("localhost:");
            assertThatThrownBy(() -> describeCluster(props))
                    .hasRootCauseInstanceOf(java.security.cert.CertificateException.class)
                    .rootCause().hasMessageContaining("localhost");
        }
    }

    @Test
    void keptDirectorySurvivesARestartWithItsData(@TempDir Path dir) throws Exception {
        try (EmbeddedSecureKafka kafka = EmbeddedSecureKafka.builder().directory(dir).start()) {
            kafka.createTopics(1, "durable");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafka.clientProperties("svc"),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("durable", "k", "still here")).get();
            }
        }
        try (EmbeddedSecureKafka kafka = EmbeddedSecureKafka.builder().directory(dir).start()) {
            assertThat(consume(kafka.clientProperties("reader"), "durable", 1))
                    .extracting(ConsumerRecord::value).containsExactly("still here");
        }
    }

    private static void assertRefused(Map<String, Object> props) {
        assertThatThrownBy(() -> describeCluster(props)).hasCauseInstanceOf(SslAuthenticationException.class);
    }

    private static void describeCluster(Map<String, Object> props) throws Exception {
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster().nodes().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e;
        }
    }

    static List<ConsumerRecord<String, String>> consume(Map<String, Object> props, String topic, int expected) {
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + topic);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
