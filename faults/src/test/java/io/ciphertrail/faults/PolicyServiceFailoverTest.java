package io.ciphertrail.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.embedded.MultiNodeSecureKafka;
import io.ciphertrail.producer.SecureProducerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The policy service as two instances sharing a four-partition ingress topic; one is killed (SIGKILL)
 * mid-stream, leaving an open transaction behind. The other takes over its partitions, the dead
 * instance's transaction is aborted, and every ingress record ends in exactly one of egress or
 * quarantine, as a {@code read_committed} reader sees them.
 */
class PolicyServiceFailoverTest extends ClusterFaultTest {
    private static final GateTopics GATE = new GateTopics("gate");
    private static final int RECORDS = 4_000;
    private static final String LEGACY = "legacy-service";

    @Test
    void everyIngressRecordEndsInEgressOrQuarantineExactlyOnceWhenAGateInstanceIsKilled(MultiNodeSecureKafka kafka) throws Exception {
        kafka.createTopics(4, GATE.ingress(), GATE.egress());
        LocalKeys keys = LocalKeys.create(work.resolve("kms"));
        keys.createKeks(GATE.egress(), "elsewhere");
        Grants.producer(kafka, PRODUCER, GATE.ingress());
        Grants.producer(kafka, LEGACY, GATE.ingress());
        Path policies = GATE.writePolicies(work.resolve("policies.yaml"));

        DeliveryLedger ledger = new DeliveryLedger();
        try (PolicyServiceProcess first = PolicyServiceProcess.start("first", GATE.serviceSettings(kafka, SERVICE, policies, work.resolve("first")),
                work, PolicyServiceProcess.DEFAULT_JAVA_OPTIONS);
             PolicyServiceProcess second = PolicyServiceProcess.start("second", GATE.serviceSettings(kafka, SERVICE, policies, work.resolve("second")),
                     work, PolicyServiceProcess.DEFAULT_JAVA_OPTIONS)) {
            first.awaitRunning(HEAL_TIMEOUT);
            second.awaitRunning(HEAL_TIMEOUT);
            Grants.consumer(kafka, CONSUMER, GATE.egress(), GATE.quarantine());

            Map<String, Object> good = SecureClientSettings.producer(kafka, PRODUCER, keys);
            good.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, GATE.ingress() + ":" + GATE.egress());
            Map<String, Object> misrouted = SecureClientSettings.producer(kafka, PRODUCER, keys);
            misrouted.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, GATE.ingress() + ":elsewhere");
            try (NumberedProducer encrypted = NumberedProducer.secure(good, GATE.ingress(), ledger, VALUE_SIZE);
                 NumberedProducer wrongKey = NumberedProducer.secure(misrouted, GATE.ingress(), ledger, VALUE_SIZE);
                 NumberedProducer unencrypted = NumberedProducer.plain(kafka.clientProperties(LEGACY), GATE.ingress(), ledger, VALUE_SIZE)) {
                Pacer pacer = new Pacer(400);
                for (long number = 0; number < RECORDS; number++) {
                    pacer.awaitTurn(number);
                    // Eight in ten records pass the gate; one is unencrypted, one encrypted for another topic.
                    (number % 10 == 3 ? unencrypted : number % 10 == 7 ? wrongKey : encrypted).send(number);
                    if (number == RECORDS * 2 / 5) {
                        await("the gate forwards records").atMost(HEAL_TIMEOUT).until(() -> arrived(kafka, GATE.egress()) > 0);
                        first.kill();
                    }
                }
                encrypted.flush();
                wrongKey.flush();
                unencrypted.flush();
            }
            await("every ingress record reaches egress or quarantine").atMost(HEAL_TIMEOUT).pollInterval(Duration.ofSeconds(1))
                    .until(() -> arrived(kafka, GATE.egress()) + arrived(kafka, GATE.quarantine()) >= ledger.acknowledgedCount());
            assertThat(second.isAlive()).isTrue();
        }
        Map<String, Object> reader = SecureClientSettings.consumer(kafka, CONSUMER, keys);
        TopicContents.readSecure(reader, GATE.egress(), ledger);
        TopicContents.readKeys(reader, GATE.quarantine(), ledger);
        DeliveryReport report = ledger.report();

        assertNothingLostOrDuplicated(report, RECORDS);
        assertThat(report.acknowledged()).as("every record written to ingress: " + report.failures()).isEqualTo(RECORDS);
        assertThat(report.deliveredByTopic())
                .containsExactlyInAnyOrderEntriesOf(Map.of(GATE.egress(), RECORDS * 8L / 10, GATE.quarantine(), RECORDS * 2L / 10));
    }

    /** Committed records in {@code topic} now. */
    private static long arrived(MultiNodeSecureKafka kafka, String topic) {
        return TopicContents.readKeys(kafka.clientProperties(SERVICE), topic, new DeliveryLedger());
    }
}
