package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.pki.CertificateAuthority;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalPlatformTest {

    @TempDir
    Path dir;

    @Test
    void writtenClientPropertyFilesWorkAsTheyAreAndEverythingSurvivesARestart() throws Exception {
        Home home = new Home(dir.resolve(".ciphertrail"));
        X509Certificate firstCa;
        try (LocalPlatform platform = LocalPlatform.start(home, 0)) {
            firstCa = platform.kafka().caCertificate();
            for (String identity : LocalPlatform.CLIENT_IDENTITIES) {
                assertThat(SecureFiles.isOwnerOnly(home.clientProperties(identity))).isTrue();
            }
            try (Admin admin = Admin.create(load(home.clientProperties("ciphertrail-admin")))) {
                admin.createTopics(List.of(new NewTopic("greetings", 1, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(load(home.clientProperties("demo-producer")),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("greetings", "hello")).get();
            }
        }

        try (LocalPlatform platform = LocalPlatform.start(home, 0)) {
            assertThat(platform.kafka().caCertificate()).isEqualTo(firstCa);
            assertThat(CertificateAuthority.load(home.ca()).certificate()).isEqualTo(firstCa);
            Map<String, Object> props = load(home.clientProperties("demo-consumer"));
            props.put(ConsumerConfig.GROUP_ID_CONFIG, "readers");
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            List<String> values = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("greetings"));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (values.isEmpty() && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                }
            }
            assertThat(values).containsExactly("hello");
        }
    }

    private static Map<String, Object> load(Path file) throws Exception {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            props.load(reader);
        }
        Map<String, Object> map = new HashMap<>();
        props.forEach((k, v) -> map.put((String) k, v));
        return map;
    }
}
