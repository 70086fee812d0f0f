package io.ciphertrail.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.embedded.BrokerSettings;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The cluster every fault test runs on: three TLS-only nodes, each in its own JVM, the
 * SecureTransportAuthorizer on every one, clients with nothing but the ACLs they need. All fault test
 * classes share it (equal settings), so each test leaves it whole, and starts by making sure it is.
 */
@Tag("faults")
@WithSecureKafka(nodes = 3, authorizer = BrokerSettings.SECURE_TRANSPORT_AUTHORIZER,
        superUsers = {"User:" + ClusterFaultTest.SERVICE},
        brokerProperties = {"ciphertrail.authorizer.audit.window.ms=2000"})
abstract class ClusterFaultTest {
    static final String PRODUCER = "fault-producer";
    static final String CONSUMER = "fault-consumer";
    static final String SERVICE = "policy-service";
    static final Duration HEAL_TIMEOUT = Duration.ofMinutes(2);
    /** Small records: the tests count records, they do not measure throughput. */
    static final int VALUE_SIZE = 100;

    @TempDir
    Path work;

    @BeforeEach
    void wholeCluster(MultiNodeSecureKafka kafka) {
        kafka.heal(HEAL_TIMEOUT);
    }

    /** Creates {@code topic} (three replicas, two in sync), its KEK, and the producer's and consumer's ACLs on it. */
    LocalKeys prepare(MultiNodeSecureKafka kafka, String topic, int partitions) {
        kafka.createTopics(partitions, topic);
        LocalKeys keys = LocalKeys.create(work.resolve("kms"));
        keys.createKeks(topic);
        Grants.producer(kafka, PRODUCER, topic);
        Grants.consumer(kafka, CONSUMER, topic);
        return keys;
    }

    /** What a fault sees of the traffic it interrupts: the ledger it is counted in, and the keys it is encrypted with. */
    record Load(DeliveryLedger ledger, LocalKeys keys) {
        /** Waits until {@code more} records more are acknowledged: traffic goes on. */
        void awaitAcknowledged(long more, String what) {
            awaitMore(ledger::acknowledgedCount, more, what);
        }
    }

    /** A fault injected while traffic runs. */
    @FunctionalInterface
    interface Fault {
        void inject(Load load) throws Exception;
    }

    /**
     * Runs {@code fault} while the secure producer sends numbered records to a new three-partition topic at
     * {@code perSecond} and a secure consumer group reads them; then reads the whole topic and asserts that
     * nothing acknowledged was lost, doubled or reordered and that the consumer group got every record.
     * Returns the counts for further checks.
     */
    DeliveryReport underLoad(MultiNodeSecureKafka kafka, String topic, double perSecond, Fault fault) throws Exception {
        LocalKeys keys = prepare(kafka, topic, 3);
        DeliveryLedger ledger = new DeliveryLedger();
        long sent;
        try (NumberedProducer producer = NumberedProducer.secure(SecureClientSettings.producer(kafka, PRODUCER, keys), topic, ledger, VALUE_SIZE);
             LiveConsumer consumer = new LiveConsumer(SecureClientSettings.consumer(kafka, CONSUMER, keys), topic, CONSUMER + "-" + topic,
                     ledger, (number, sentAt, arrivedAt) -> { })) {
            producer.start(perSecond);
            awaitMore(ledger::acknowledgedCount, 1_000, "traffic before the fault");
            fault.inject(new Load(ledger, keys));
            awaitMore(ledger::acknowledgedCount, 500, "traffic after the fault");
            producer.stop();
            sent = producer.sent();
            awaitConsumed(ledger, consumer);
        }
        TopicContents.readSecure(SecureClientSettings.consumer(kafka, CONSUMER, keys), topic, ledger);
        DeliveryReport report = ledger.report();
        assertNothingLostOrDuplicated(report, sent);
        assertThat(report.outOfOrder()).as("per partition, records in the order sent").isEmpty();
        return report;
    }

    /** Waits until {@code count} grows by {@code more} from now: traffic goes on. */
    static void awaitMore(LongSupplier count, long more, String what) {
        long target = count.getAsLong() + more;
        await(what).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> count.getAsLong() >= target);
    }

    /** Waits until the live consumer has every acknowledged record, failing at once on its first error. */
    static void awaitConsumed(DeliveryLedger ledger, LiveConsumer consumer) {
        await("the consumer group reads every acknowledged record").atMost(HEAL_TIMEOUT).pollInterval(Duration.ofMillis(250))
                .until(() -> consumer.error() != null || ledger.acknowledgedNotIn(consumer.numbers()).isEmpty());
        assertThat(consumer.error()).as("the consumer's error").isNull();
    }

    /** The exact-count verdict every fault test gives on what the producer and the readers saw. */
    static void assertNothingLostOrDuplicated(DeliveryReport report, long sent) {
        LoggerFactory.getLogger(ClusterFaultTest.class).info("Delivery: {}", report);
        assertThat(report.sent()).as("records handed to the producer").isEqualTo(sent);
        assertThat(report.acknowledged() + report.failed()).as("every record acknowledged or reported failed: " + report).isEqualTo(sent);
        assertThat(report.acknowledgedAndFailed()).as("no record both acknowledged and failed").isZero();
        assertThat(report.lost()).as("acknowledged records not found: " + report).isEmpty();
        assertThat(report.duplicated()).as("records written twice: " + report).isEmpty();
        assertThat(report.delivered()).as("found exactly the acknowledged records (and failed ones written after all): " + report)
                .isEqualTo(report.acknowledged() + report.deliveredAfterFailure());
    }
}
