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
        LocalKeys keys = prepare(kafka, TOPIC, 3);
        DeliveryLedger ledger = new DeliveryLedger();
        long sent;
        ClusterNode renewedNode;
        X509Certificate before;
        X509Certificate renewed;
        long pid;
        try (NumberedProducer producer = NumberedProducer.secure(SecureClientSettings.producer(kafka, PRODUCER, keys), TOPIC, ledger, VALUE_SIZE);
             LiveConsumer consumer = new LiveConsumer(SecureClientSettings.consumer(kafka, CONSUMER, keys), TOPIC, CONSUMER + "-renewal",
                     ledger, (number, sentAt, arrivedAt) -> { })) {
            producer.start(500);
            awaitMore(ledger::acknowledgedCount, 500, "traffic before the renewal");
            renewedNode = kafka.leaderOf(TOPIC, 0);
            pid = renewedNode.pid();
            before = renewedNode.presentedCertificate();
            renewed = renewedNode.renewCertificate();
            awaitMore(ledger::acknowledgedCount, 1_000, "traffic after the renewal");

            // A client that connects now gets the new certificate, and trusts it.
            try (SecureProducer<String, String> fresh = new SecureProducer<>(SecureClientSettings.producer(kafka, PRODUCER, keys),
                    new StringSerializer(), new StringSerializer())) {
                RecordMetadata written = fresh.send(new ProducerRecord<>(TOPIC, 0, "renewed", "written to the renewed node")).get(60, TimeUnit.SECONDS);
                assertThat(written.partition()).isZero();
            }
            producer.stop();
            sent = producer.sent();
            awaitConsumed(ledger, consumer);
        }
        TopicContents.readSecure(SecureClientSettings.consumer(kafka, CONSUMER, keys), TOPIC, ledger);
        DeliveryReport report = ledger.report();

        assertThat(renewedNode.pid()).as("the node was not restarted").isEqualTo(pid);
        assertThat(renewed.getSerialNumber()).isNotEqualTo(before.getSerialNumber());
        assertThat(renewed.getPublicKey()).as("a new key").isNotEqualTo(before.getPublicKey());
        assertThat(renewed.getSubjectX500Principal()).isEqualTo(before.getSubjectX500Principal());
        assertThat(renewedNode.presentedCertificate()).as("what new connections get").isEqualTo(renewed);
        assertThat(report.failed()).as("no producer error: " + report.failures()).isZero();
        assertNothingLostOrDuplicated(report, sent);
    }
}
