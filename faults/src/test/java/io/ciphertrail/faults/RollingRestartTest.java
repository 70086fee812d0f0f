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

    @Test
    void aRollingRestartUnderLoadLosesAndDuplicatesNothing(MultiNodeSecureKafka kafka) throws Exception {
        DeliveryReport report = underLoad(kafka, "rolling", 500, load -> {
            for (ClusterNode node : kafka.nodes()) {
                node.restart();
                kafka.awaitHealthy(HEAL_TIMEOUT);
                load.awaitAcknowledged(250, "traffic after restarting node " + node.id());
            }
        });
        assertThat(report.failed()).as("no record failed: " + report.failures()).isZero();
    }
}
