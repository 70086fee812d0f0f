package io.ciphertrail.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.embedded.MultiNodeSecureKafka;
import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.producer.SecureProducerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/**
 * The policy service as two instances sharing a four-partition ingress topic; one is killed (SIGKILL)
 * mid-stream, leaving an open transaction behind. The other takes over its partitions, the dead
 * instance's transaction is aborted, and every ingress record ends in exactly one of egress or
 * quarantine, as a {@code read_committed} reader sees them.
 */
class PolicyServiceFailoverTest extends ClusterFaultTest {
    private static final String INGRESS = "gate.ingress";
    private static final String EGRESS = "gate";
    private static final String QUARANTINE = "gate.quarantine";
    private static final int RECORDS = 4_000;
    private static final String LEGACY = "legacy-service";

    @Test
    void everyIngressRecordEndsInEgressOrQuarantineExactlyOnceWhenAGateInstanceIsKilled(MultiNodeSecureKafka kafka) throws Exception {
        kafka.createTopics(4, INGRESS, EGRESS);
        LocalKeys keys = LocalKeys.create(work.resolve("kms"));
        keys.createKeks(EGRESS, "elsewhere");
        Grants.producer(kafka, PRODUCER, INGRESS);
        Grants.producer(kafka, LEGACY, INGRESS);
        Path policies = Files.writeString(work.resolve("policies.yaml"), "policies:\n  - {name: gate, from: " + INGRESS + ", to: " + EGRESS + "}\n");

        DeliveryLedger ledger = new DeliveryLedger();
        try (PolicyServiceProcess first = PolicyServiceProcess.start("first", serviceProperties(kafka, policies, "first"), work.resolve("first.log"));
             PolicyServiceProcess second = PolicyServiceProcess.start("second", serviceProperties(kafka, policies, "second"), work.resolve("second.log"))) {
            first.awaitRunning(HEAL_TIMEOUT);
            second.awaitRunning(HEAL_TIMEOUT);
            Grants.consumer(kafka, CONSUMER, EGRESS, QUARANTINE);

            Map<String, Object> good = SecureClientSettings.producer(kafka, PRODUCER, keys);
            good.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, INGRESS + ":" + EGRESS);
            Map<String, Object> misrouted = SecureClientSettings.producer(kafka, PRODUCER, keys);
            misrouted.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, INGRESS + ":elsewhere");
            try (NumberedProducer encrypted = NumberedProducer.secure(good, INGRESS, ledger, VALUE_SIZE);
                 NumberedProducer wrongKey = NumberedProducer.secure(misrouted, INGRESS, ledger, VALUE_SIZE);
                 NumberedProducer unencrypted = NumberedProducer.plain(kafka.clientProperties(LEGACY), INGRESS, ledger, VALUE_SIZE)) {
                Pacer pacer = new Pacer(400);
                for (long number = 0; number < RECORDS; number++) {
                    pacer.awaitTurn(number);
                    // Eight in ten records pass the gate; one is unencrypted, one encrypted for another topic.
                    (number % 10 == 3 ? unencrypted : number % 10 == 7 ? wrongKey : encrypted).send(number);
                    if (number == RECORDS * 2 / 5) {
                        await("the gate forwards records").atMost(HEAL_TIMEOUT).until(() -> arrived(kafka, EGRESS) > 0);
                        first.kill();
                    }
                }
                encrypted.flush();
                wrongKey.flush();
                unencrypted.flush();
            }
            await("every ingress record reaches egress or quarantine").atMost(HEAL_TIMEOUT).pollInterval(Duration.ofSeconds(1))
                    .until(() -> arrived(kafka, EGRESS) + arrived(kafka, QUARANTINE) >= ledger.acknowledgedCount());
            assertThat(second.isAlive()).isTrue();
        }
        Map<String, Object> reader = SecureClientSettings.consumer(kafka, CONSUMER, keys);
        TopicContents.readSecure(reader, EGRESS, ledger);
        TopicContents.readKeys(reader, QUARANTINE, ledger);
        DeliveryReport report = ledger.report();

        assertNothingLostOrDuplicated(report, RECORDS);
        assertThat(report.acknowledged()).as("every record written to ingress: " + report.failures()).isEqualTo(RECORDS);
        assertThat(report.deliveredByTopic()).containsExactlyInAnyOrderEntriesOf(Map.of(EGRESS, RECORDS * 8L / 10, QUARANTINE, RECORDS * 2L / 10));
    }

    /** Committed records in {@code topic} now. */
    private static long arrived(MultiNodeSecureKafka kafka, String topic) {
        return TopicContents.readKeys(kafka.clientProperties(SERVICE), topic, new DeliveryLedger());
    }

    private Path serviceProperties(MultiNodeSecureKafka kafka, Path policies, String instance) {
        Map<String, Object> settings = new HashMap<>(kafka.clientProperties(SERVICE));
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "fault-gate");
        settings.put(StreamsConfig.STATE_DIR_CONFIG, work.resolve("state-" + instance).toString());
        settings.put(PolicyServiceConfig.INGRESS_PATTERN_CONFIG, "gate\\.ingress");
        settings.put(PolicyServiceConfig.QUARANTINE_TOPIC_CONFIG, QUARANTINE);
        settings.put(PolicyServiceConfig.AUDIT_TOPIC_CONFIG, "gate.audit");
        settings.put(PolicyServiceConfig.ALERTS_TOPIC_CONFIG, "gate.alerts");
        settings.put(PolicyServiceConfig.POLICIES_TOPIC_CONFIG, "gate.policies");
        settings.put(PolicyServiceConfig.POLICIES_FILE_CONFIG, policies.toString());
        settings.put(PolicyServiceConfig.HTTP_PORT_CONFIG, 0);
        // The survivor takes over a dead instance's partitions once its session expires: 6 s, not 45 s.
        settings.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
        settings.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_500);
        return PolicyServiceProcess.writeProperties(work.resolve(instance + ".properties"), settings);
    }
}
