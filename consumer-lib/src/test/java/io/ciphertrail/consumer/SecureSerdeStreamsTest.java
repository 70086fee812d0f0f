package io.ciphertrail.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.core.envelope.Envelope;
import io.ciphertrail.core.envelope.TopicBinding;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.producer.SecureProducer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@WithSecureKafka
class SecureSerdeStreamsTest {

    @Test
    void streamsApplicationReadsEncryptedInputAndWritesEncryptedOutput(EmbeddedSecureKafka kafka, @TempDir Path dir) throws Exception {
        SecureClients clients = new SecureClients(kafka, dir);
        clients.topics("streams-orders", "streams-invoices");
        String traceId;
        try (SecureProducer<String, String> producer = new SecureProducer<>(clients.configs("orders-service"),
                new StringSerializer(), new StringSerializer())) {
            ProducerRecord<String, String> order = new ProducerRecord<>("streams-orders", "o-1", "order for 3 widgets");
            producer.send(order).get();
            traceId = SecureProducer.traceId(order).orElseThrow();
        }

        Map<String, Object> settings = clients.configs("invoicing-app");
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "invoicing");
        settings.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        settings.put("auto.offset.reset", "earliest");
        SecureSerde<String> values = new SecureSerde<>(Serdes.String());
        values.configure(settings, false);
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("streams-orders", Consumed.with(Serdes.String(), values))
                .mapValues(order -> "invoice: " + order)
                .to("streams-invoices", Produced.with(Serdes.String(), values));
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(settings);

        try (KafkaStreams streams = new KafkaStreams(builder.build(), properties)) {
            streams.start();
            try (KafkaConsumer<byte[], byte[]> raw = new KafkaConsumer<>(clients.consumerConfigs("auditor", "raw-invoices"),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
                 SecureConsumer<String, String> secure = new SecureConsumer<>(clients.consumerConfigs("billing", "billing-invoices"),
                         new StringDeserializer(), new StringDeserializer())) {
                raw.subscribe(List.of("streams-invoices"));
                secure.subscribe(List.of("streams-invoices"));
                List<ConsumerRecord<byte[], byte[]>> encrypted = new ArrayList<>();
                List<ConsumerRecord<String, String>> decrypted = new ArrayList<>();
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    raw.poll(Duration.ofMillis(200)).forEach(encrypted::add);
                    secure.poll(Duration.ofMillis(200)).forEach(decrypted::add);
                    return !encrypted.isEmpty() && !decrypted.isEmpty();
                });
                assertThat(Envelope.hasMagic(encrypted.get(0).value())).isTrue();
                Envelope invoice = Envelope.parse(encrypted.get(0).value(), "streams-invoices");
                assertThat(invoice.binding().boundTo(new TopicBinding("streams-invoices", "ciphertrail/topic/streams-invoices"))).isTrue();
                // The deserializer gave the input its traceparent back from the envelope, the serializer bound it into the
                // output's envelope and sent no header: the trace went through the stream without travelling twice.
                assertThat(invoice.binding().boundTraceId()).contains(traceId);
                assertThat(encrypted.get(0).headers().lastHeader("traceparent")).isNull();
                assertThat(new String(encrypted.get(0).value(), StandardCharsets.ISO_8859_1)).doesNotContain("widgets");
                assertThat(decrypted.get(0).value()).isEqualTo("invoice: order for 3 widgets");
                assertThat(SecureConsumer.traceId(decrypted.get(0))).contains(traceId);
            }
        }
    }
}
