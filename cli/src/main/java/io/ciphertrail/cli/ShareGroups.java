package io.ciphertrail.cli;

import io.ciphertrail.core.tls.TlsConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;

/** Settings of share groups (queues) that the commands change. */
final class ShareGroups {
    static final String AUTO_OFFSET_RESET = "share.auto.offset.reset";

    private ShareGroups() {
    }

    /**
     * Makes a share group that has not read its topics yet start at their oldest record instead of new
     * ones ({@code share.auto.offset.reset=earliest}). A group that already has a position keeps it.
     * Needs ALTER_CONFIGS on the group.
     */
    static void startAtEarliest(Map<String, Object> clientSettings, String group) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        AlterConfigOp earliest = new AlterConfigOp(new ConfigEntry(AUTO_OFFSET_RESET, "earliest"), AlterConfigOp.OpType.SET);
        withAdmin(clientSettings, cause -> "Cannot make share group '" + group + "' start at the oldest record (" + AUTO_OFFSET_RESET
                + "=earliest): " + cause + ". This identity needs ALTER_CONFIGS on the group, or an operator sets it once: kafka-configs.sh"
                + " --alter --entity-type groups --entity-name " + group + " --add-config " + AUTO_OFFSET_RESET + "=earliest",
                admin -> admin.incrementalAlterConfigs(Map.of(resource, List.of(earliest))).all().get(30, TimeUnit.SECONDS));
    }

    /**
     * Creates a share group that starts after what {@code topic} holds now (partition 0), so it receives
     * only what is written from here on. Needs READ on the group and the topic.
     */
    static void startAtCurrentEnd(Map<String, Object> adminSettings, String group, String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        withAdmin(adminSettings, cause -> "Cannot start share group '" + group + "' at the end of " + topic + ": " + cause, admin -> {
            long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition).get(30, TimeUnit.SECONDS).offset();
            return admin.alterShareGroupOffsets(group, Map.of(partition, end)).all().get(30, TimeUnit.SECONDS);
        });
    }

    /** How many members of the group have partition 0 of {@code topic} assigned; 0 while the group is unknown. */
    static long membersAssigned(Map<String, Object> adminSettings, String group, String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        try {
            return withAdmin(adminSettings, cause -> cause, admin -> admin.describeShareGroups(List.of(group)).describedGroups().get(group)
                    .get(30, TimeUnit.SECONDS).members().stream().filter(member -> member.assignment().topicPartitions().contains(partition)).count());
        } catch (IllegalStateException notYet) {
            return 0;
        }
    }

    @FunctionalInterface
    private interface AdminCall<T> {
        T call(Admin admin) throws ExecutionException, TimeoutException, InterruptedException;
    }

    /** Runs {@code call} with an admin client under the TLS policy; a failure becomes an error built by {@code failure} from its cause. */
    private static <T> T withAdmin(Map<String, Object> settings, Function<String, String> failure, AdminCall<T> call) {
        try (Admin admin = Admin.create(TlsConfig.secureClientConfigs(settings))) {
            return call.call(admin);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(failure.apply(e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }
}
