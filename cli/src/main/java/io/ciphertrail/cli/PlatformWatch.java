package io.ciphertrail.cli;

import io.ciphertrail.embedded.ClusterNode;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Whether every part of a running local platform works: the broker answers, the key service answers, and the
 * policy gate's Kafka Streams runs. {@code up} says it is up only once all do, and stops with an error when one of
 * them goes down, instead of a platform that looks up and is not.
 */
final class PlatformWatch {
    private static final long POLL_MS = 250;

    private PlatformWatch() {
    }

    /** Waits until every part works; says what it waits for when that takes more than a few seconds. */
    static void awaitReady(LocalPlatform platform, PrintWriter out, Duration timeout) throws InterruptedException {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        String waitingFor = null;
        while (true) {
            String notReady = notReady(platform);
            if (notReady == null) {
                return;
            }
            if (problem(platform) != null) {
                throw new IllegalStateException(problem(platform));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Not ready after " + timeout.toSeconds() + " s: " + notReady);
            }
            if (!notReady.equals(waitingFor) && System.nanoTime() - started > Duration.ofSeconds(3).toNanos()) {
                waitingFor = notReady;
                out.println("Waiting: " + notReady + " ...");
                out.flush();
            }
            Thread.sleep(POLL_MS);
        }
    }

    /** What is not ready yet, or null when every part is. */
    static String notReady(LocalPlatform platform) {
        String down = problem(platform);
        if (down != null) {
            return down;
        }
        KafkaStreams.State gate = platform.service().state();
        return gate == KafkaStreams.State.RUNNING ? null : "the policy gate is " + gate + " (it forwards records once RUNNING)";
    }

    /** What went down, or null while every part runs (a gate that is rebalancing still runs). */
    static String problem(LocalPlatform platform) {
        KafkaStreams.State gate = platform.service().state();
        if (!gate.isRunningOrRebalancing() && gate != KafkaStreams.State.CREATED) {
            return "the policy gate stopped (its Kafka Streams state is " + gate + "); records wait in their ingress topics";
        }
        if (platform.kafka() instanceof MultiNodeSecureKafka cluster) {
            for (ClusterNode node : cluster.nodes()) {
                if (!node.isRunning()) {
                    return "Kafka node " + node.id() + " stopped (its log: " + node.log() + ")";
                }
            }
        }
        Map<String, Object> admin = platform.clientSettings(LocalPlatform.ADMIN);
        try {
            Reachable.brokers(admin, "");
        } catch (IllegalStateException e) {
            return "the broker stopped answering (" + e.getMessage().strip() + ")";
        }
        try {
            Reachable.keyService(admin, "");
        } catch (IllegalStateException e) {
            return "the key service stopped answering (" + e.getMessage().strip() + "); producers and consumers cannot get keys";
        }
        return null;
    }
}
