package io.ciphertrail.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.pki.IssuedCertificate;
import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.core.pki.TlsFiles;
import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateReloadTest {
    private static EmbeddedSecureKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedSecureKafka.builder()
                .brokerProperty("principal.builder.class", RecordingPrincipalBuilder.class.getName())
                // The broker drops idle connections quickly, so a client's next send has to open a new one.
                .brokerProperty("connections.max.idle.ms", "1500")
                .start();
        kafka.createTopics(1, "reload");
    }

    @AfterAll
    static void stopBroker() {
        kafka.close();
    }

    @Test
    void nextConnectionPresentsTheCertificateReplacedOnDiskWithoutRestartingTheClient() throws Exception {
        IssuedCertificate first = kafka.certificateAuthority().issueWorkload("orders-service");
        TlsFiles files = TlsFiles.write(dir, first, List.of(kafka.caCertificate()));
        Map<String, Object> props = new HashMap<>(files.kafkaSslProperties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        props.put(SslConfigs.SSL_ENGINE_FACTORY_CLASS_CONFIG, ReloadingSslEngineFactory.class);
        props.put(TlsConfig.RELOAD_CHECK_INTERVAL_MS_CONFIG, 0L);
        props.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, 60_000L);

        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("reload", "before")).get();
            assertThat(RecordingPrincipalBuilder.SERIALS_SEEN).contains(serial(first));

            // Renewal in place: same identity and store password, new key and serial.
            IssuedCertificate renewed = kafka.certificateAuthority().issueWorkload("orders-service");
            String password = props.get(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG).toString();
            KeyStores.writeKeyStore(files.keyStore(), renewed, password.toCharArray());

            Thread.sleep(4_000); // the broker closes the idle connection
            producer.send(new ProducerRecord<>("reload", "after")).get();

            // What the broker saw from this client, in order: the latest connection carries the renewed certificate.
            List<BigInteger> fromClient = RecordingPrincipalBuilder.SERIALS_SEEN.stream()
                    .filter(s -> s.equals(serial(first)) || s.equals(serial(renewed)))
                    .toList();
            assertThat(fromClient).contains(serial(renewed));
            assertThat(fromClient.get(fromClient.size() - 1)).isEqualTo(serial(renewed));
        }
    }

    @Test
    void engineFactoryRefusesAnInsecureSettingAtStart() throws Exception {
        TlsFiles files = TlsFiles.write(dir, kafka.certificateAuthority().issueWorkload("svc"), List.of(kafka.caCertificate()));
        Map<String, Object> props = new HashMap<>(files.kafkaSslProperties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        props.put(SslConfigs.SSL_ENGINE_FACTORY_CLASS_CONFIG, ReloadingSslEngineFactory.class);
        props.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, "");

        assertThatThrownBy(() -> new KafkaProducer<>(props, new StringSerializer(), new StringSerializer()))
                .isInstanceOf(KafkaException.class)
                .hasStackTraceContaining("ssl.endpoint.identification.algorithm=https");
        assertThat(Files.exists(files.keyStore())).isTrue();
    }

    private static BigInteger serial(IssuedCertificate certificate) {
        return certificate.certificate().getSerialNumber();
    }
}
