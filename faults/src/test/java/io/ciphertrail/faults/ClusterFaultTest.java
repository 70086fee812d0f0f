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
