package io.ciphertrail.policy;

import io.ciphertrail.policy.delivery.TopicCatalog;
import io.ciphertrail.policy.quarantine.QuarantineTopic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The topics the service needs: the compacted policies topic, the quarantine topic (kept forever:
 * quarantined records wait for an operator; with room for the reason headers beyond Kafka's default
 * record size), the trail, audit and alerts topics, and the compacted topic recording the ACLs it places.
 */
final class ServiceTopics {
    private ServiceTopics() {
    }

    /** {@code max.message.bytes} of a quarantine topic the service creates: Kafka's default plus room for the reason headers. */
    static final int QUARANTINE_MAX_MESSAGE_BYTES = TopicCatalog.KAFKA_DEFAULT_MAX_MESSAGE_BYTES + QuarantineTopic.HEADROOM_BYTES;

    static void ensure(PolicyServiceConfig config, Admin admin) {
        List<NewTopic> wanted = List.of(
                new NewTopic(config.getString(PolicyServiceConfig.POLICIES_TOPIC_CONFIG), Optional.of(1), Optional.empty())
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                new NewTopic(config.getString(PolicyServiceConfig.QUARANTINE_TOPIC_CONFIG), Optional.empty(), Optional.empty())
                        .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1",
                                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(QUARANTINE_MAX_MESSAGE_BYTES))),
                new NewTopic(config.getString(PolicyServiceConfig.TRAIL_TOPIC_CONFIG), Optional.empty(), Optional.empty()),
                new NewTopic(config.getString(PolicyServiceConfig.AUDIT_TOPIC_CONFIG), Optional.empty(), Optional.empty()),
                new NewTopic(config.getString(PolicyServiceConfig.ALERTS_TOPIC_CONFIG), Optional.empty(), Optional.empty()),
                new NewTopic(config.getString(PolicyServiceConfig.BLOCKS_TOPIC_CONFIG), Optional.of(1), Optional.empty())
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
        try {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>(wanted.stream().filter(t -> !existing.contains(t.name())).toList());
            if (missing.isEmpty()) {
                return;
            }
            if (!config.getBoolean(PolicyServiceConfig.TOPICS_CREATE_CONFIG)) {
                throw new IllegalStateException("Missing topics " + missing.stream().map(NewTopic::name).toList()
                        + "; create them (the policies and blocks topics compacted, the quarantine topic with retention.ms=-1 and"
                        + " max.message.bytes=" + QUARANTINE_MAX_MESSAGE_BYTES + ") or set "
                        + PolicyServiceConfig.TOPICS_CREATE_CONFIG + "=true");
            }
            for (NewTopic topic : missing) {
                try {
                    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot check or create the service's topics: "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while preparing topics", e);
        }
    }
}
