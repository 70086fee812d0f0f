package io.ciphertrail.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.embedded.ClusterNode;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import org.junit.jupiter.api.Test;

/**
 * Every node restarted in turn, as an upgrade or a configuration change does, while the secure producer
 * and a secure consumer group run: each node leaves with a controlled shutdown, comes back, and the next
 * one goes only once every replica is in sync again. Nothing acknowledged is lost, doubled or reordered,
 * and the consumer reads everything without an error.
 */
class RollingRestartTest extends ClusterFaultTest {
    private static final String TOPIC = "rolling";

    @Test
    void aRollingRestartUnderLoadLosesAndDuplicatesNothing(MultiNodeSecureKafka kafka) {
        LocalKeys keys = prepare(kafka, TOPIC, 3);
        DeliveryLedger ledger = new DeliveryLedger();
        long sent;
        try (NumberedProducer producer = NumberedProducer.secure(SecureClientSettings.producer(kafka, PRODUCER, keys), TOPIC, ledger, VALUE_SIZE);
             LiveConsumer consumer = new LiveConsumer(SecureClientSettings.consumer(kafka, CONSUMER, keys), TOPIC, CONSUMER + "-rolling",
                     ledger, (number, sentAt, arrivedAt) -> { })) {
            producer.start(500);
            awaitMore(ledger::acknowledgedCount, 1_000, "traffic before the restarts");
            for (ClusterNode node : kafka.nodes()) {
                node.restart();
                kafka.awaitHealthy(HEAL_TIMEOUT);
                awaitMore(ledger::acknowledgedCount, 250, "traffic after restarting node " + node.id());
            }
            producer.stop();
            sent = producer.sent();
            awaitConsumed(ledger, consumer);
        }
        TopicContents.readSecure(SecureClientSettings.consumer(kafka, CONSUMER, keys), TOPIC, ledger);
        DeliveryReport report = ledger.report();

        assertNothingLostOrDuplicated(report, sent);
        assertThat(report.failed()).as("no record failed: " + report).isZero();
        assertThat(report.outOfOrder()).as("per partition, records in the order sent").isEmpty();
    }
}
