package io.ciphertrail.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.embedded.ClusterNode;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import io.ciphertrail.producer.SecureProducer;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A node's certificate renewed on disk and reloaded through dynamic configuration while clients use it:
 * no restart, no client error, nothing lost, and every new connection gets the new certificate.
 */
class CertificateRenewalTest extends ClusterFaultTest {
    private static final String TOPIC = "renewal";

    @Test
    void aNodeReloadsItsRenewedCertificateWhileClientsRunWithoutAClientError(MultiNodeSecureKafka kafka) throws Exception {
        DeliveryReport report = underLoad(kafka, TOPIC, 500, load -> {
            ClusterNode node = kafka.leaderOf(TOPIC, 0);
            long pid = node.pid();
            X509Certificate before = node.presentedCertificate();
            X509Certificate renewed = node.renewCertificate();
            load.awaitAcknowledged(1_000, "traffic after the renewal");
            // A client that connects now gets the new certificate, and trusts it.
            try (SecureProducer<String, String> fresh = new SecureProducer<>(SecureClientSettings.producer(kafka, PRODUCER, load.keys()),
                    new StringSerializer(), new StringSerializer())) {
                RecordMetadata written = fresh.send(new ProducerRecord<>(TOPIC, 0, "renewed", "written to the renewed node")).get(60, TimeUnit.SECONDS);
                assertThat(written.partition()).isZero();
            }
            assertThat(renewed.getSerialNumber()).isNotEqualTo(before.getSerialNumber());
            assertThat(renewed.getPublicKey()).as("a new key").isNotEqualTo(before.getPublicKey());
            assertThat(renewed.getSubjectX500Principal()).isEqualTo(before.getSubjectX500Principal());
            assertThat(node.presentedCertificate()).as("what new connections get").isEqualTo(renewed);
            assertThat(node.pid()).as("the node was not restarted").isEqualTo(pid);
        });
        assertThat(report.failed()).as("no producer error: " + report.failures()).isZero();
    }
}
