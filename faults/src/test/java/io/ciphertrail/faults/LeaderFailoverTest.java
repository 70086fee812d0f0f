package io.ciphertrail.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.embedded.ClusterNode;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A partition leader dies without warning (SIGKILL) while the secure producer sends 20,000 numbered
 * records: the cluster elects a new leader from the in-sync replicas, the idempotent producer retries
 * there, and nothing acknowledged is lost, doubled or reordered.
 */
class LeaderFailoverTest extends ClusterFaultTest {
    private static final int RECORDS = 20_000;
    private static final String TOPIC = "failover";

    @Test
    void everyAcknowledgedRecordIsReadExactlyOnceAndInOrderWhenTheLeaderIsKilled(MultiNodeSecureKafka kafka) throws Exception {
        LocalKeys keys = prepare(kafka, TOPIC, 3);
        DeliveryLedger ledger = new DeliveryLedger();
        ClusterNode killed;
        long acknowledgedAtKill;
        try (NumberedProducer producer = NumberedProducer.secure(SecureClientSettings.producer(kafka, PRODUCER, keys), TOPIC, ledger, VALUE_SIZE)) {
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> producer.send(RECORDS, 2_000));
            await().atMost(Duration.ofMinutes(2)).until(() -> ledger.acknowledgedCount() >= RECORDS / 4);
            killed = kafka.leaderOf(TOPIC, 0);
            killed.kill();
            acknowledgedAtKill = ledger.acknowledgedCount();
            sending.get(3, TimeUnit.MINUTES);
        }
        assertThat(kafka.leaderOf(TOPIC, 0).id()).as("a new leader").isNotEqualTo(killed.id());

        TopicContents.readSecure(SecureClientSettings.consumer(kafka, CONSUMER, keys), TOPIC, ledger);
        DeliveryReport report = ledger.report();
        killed.start();
        kafka.awaitHealthy(HEAL_TIMEOUT);

        assertThat(acknowledgedAtKill).as("killed mid-stream").isLessThan(RECORDS);
        assertThat(report.acknowledged()).as("sending went on after the kill").isGreaterThan(acknowledgedAtKill);
        assertNothingLostOrDuplicated(report, RECORDS);
        assertThat(report.outOfOrder()).as("per partition, records in the order sent").isEmpty();
    }
}
