package io.ciphertrail.faults;

import static org.awaitility.Awaitility.await;

import io.ciphertrail.embedded.ClusterNode;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A node cut off from the others (frozen with SIGSTOP: its sockets stay open, nothing answers, as in a
 * network partition or a stop-the-world pause) for longer than its session: the controller fences it and
 * its partitions move to in-sync replicas, the producer and consumer carry on, and when it wakes up
 * (SIGCONT) it finds itself fenced, drops what it alone had, and catches up as a follower. No
 * acknowledged record is lost, and none appears twice after it rejoins.
 */
class NodeIsolationTest extends ClusterFaultTest {
    private static final String TOPIC = "isolation";
    /** Three times {@code broker.session.timeout.ms} of the test cluster. */
    private static final Duration FROZEN_FOR = Duration.ofSeconds(12);

    @Test
    void aNodeFrozenLongerThanItsSessionRejoinsWithoutLossOrDuplicates(MultiNodeSecureKafka kafka) throws Exception {
        underLoad(kafka, TOPIC, 500, load -> {
            ClusterNode isolated = kafka.leaderOf(TOPIC, 0);
            long frozenAt = System.nanoTime();
            isolated.pause();
            await("the cluster fences the frozen node and elects another leader").atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> kafka.leaderOf(TOPIC, 0).id() != isolated.id());
            load.awaitAcknowledged(500, "traffic while the node is cut off");
            // The fault itself lasts a fixed time: hold the node frozen for the rest of it.
            Thread.sleep(Math.max(0, FROZEN_FOR.toMillis() - Duration.ofNanos(System.nanoTime() - frozenAt).toMillis()));
            isolated.resume();
            kafka.awaitHealthy(HEAL_TIMEOUT);
        });
    }
}
