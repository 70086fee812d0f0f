package io.ciphertrail.embedded;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/** Topic creation for clusters with auto-creation off. */
final class Topics {
    private Topics() {
    }

    /** A created topic reaches the broker's metadata a moment after the controller confirms it. */
    private static void awaitMetadata(Admin admin, String... topics) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                admin.describeTopics(Arrays.asList(topics)).allTopicNames().get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /** Settings for a PLAINTEXT listener: only for showing that something refuses it. */
    static Map<String, Object> plaintextClientProperties(String bootstrapServers) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SecurityProtocol.PLAINTEXT.name);
        return props;
    }

    /** Creates the topics with the cluster's default replication factor and waits until they exist. */
    static void create(SecureKafkaCluster cluster, int partitions, String... topics) {
        try (Admin admin = cluster.admin()) {
            admin.createTopics(Arrays.stream(topics).map(t -> new NewTopic(t, Optional.of(partitions), Optional.empty())).toList())
                    .all().get(30, TimeUnit.SECONDS);
            awaitMetadata(admin, topics);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot create topics " + Arrays.toString(topics) + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics " + Arrays.toString(topics), e);
        }
    }
}
