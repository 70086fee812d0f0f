package io.ciphertrail.embedded;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.AuthenticationException;

/** Waiting for nodes to serve: the cluster, asked as the admin identity, lists them as live brokers. */
final class Readiness {
    private Readiness() {
    }

    /**
     * Returns once the cluster reached through {@code adminSettings} lists every node in {@code nodeIds}
     * as a live (unfenced) broker. {@code stillStarting} runs between attempts and throws when waiting is
     * pointless (a node process exited). A TLS failure is reported at once: it does not heal by waiting.
     */
    static void awaitNodes(Map<String, Object> adminSettings, Set<Integer> nodeIds, Duration timeout, Runnable stillStarting) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        Map<String, Object> settings = new java.util.HashMap<>(adminSettings);
        settings.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        settings.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(settings)) {
            while (System.nanoTime() < deadline) {
                stillStarting.run();
                try {
                    Set<Integer> live = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                            .map(Node::id).collect(Collectors.toSet());
                    if (live.containsAll(nodeIds)) {
                        return;
                    }
                    last = "live nodes " + live + ", waiting for " + nodeIds;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof AuthenticationException) {
                        throw new IllegalStateException("TLS between the node and the admin client failed: "
                                + e.getCause().getMessage(), e.getCause());
                    }
                    last = e.getCause().getMessage();
                } catch (TimeoutException e) {
                    last = "no answer within 10 s";
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for nodes " + nodeIds, e);
        }
        throw new IllegalStateException("Nodes " + nodeIds + " did not serve within " + timeout.toSeconds() + " s: " + last);
    }
}
