package io.ciphertrail.consumer;

import io.ciphertrail.embedded.SecureKafkaCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;

/** Share-group administration for tests, as an operator would do it with the admin identity. */
final class ShareGroups {
    private ShareGroups() {
    }

    /**
     * Sets group configurations ({@code key, value, ...}) before the group's first member joins;
     * {@code share.auto.offset.reset=earliest} always, so the group reads what was written before it.
     */
    static void configure(SecureKafkaCluster kafka, String group, String... keyValues) {
        List<AlterConfigOp> ops = new ArrayList<>();
        ops.add(new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET));
        for (int i = 0; i < keyValues.length; i += 2) {
            ops.add(new AlterConfigOp(new ConfigEntry(keyValues[i], keyValues[i + 1]), AlterConfigOp.OpType.SET));
        }
        try (Admin admin = kafka.admin()) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group), ops)).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("Cannot configure share group " + group + ": " + e, e);
        }
    }

    /**
     * The share group's lag on a partition: records it will still deliver. Zero once every record was
     * acknowledged or archived; a record released or left unacknowledged counts. {@code -1} while unknown.
     */
    static long lag(SecureKafkaCluster kafka, String group, TopicPartition partition) {
        try (Admin admin = kafka.admin()) {
            Map<TopicPartition, SharePartitionOffsetInfo> offsets = admin.listShareGroupOffsets(Map.of(group, new ListShareGroupOffsetsSpec()))
                    .partitionsToOffsetInfo(group).get(30, TimeUnit.SECONDS);
            SharePartitionOffsetInfo info = offsets.get(partition);
            return info == null ? -1 : info.lag().orElse(-1L);
        } catch (Exception e) {
            throw new AssertionError("Cannot list the offsets of share group " + group + ": " + e, e);
        }
    }

    /** How many members of the group have {@code partition} assigned. */
    static long membersAssigned(SecureKafkaCluster kafka, String group, TopicPartition partition) {
        try (Admin admin = kafka.admin()) {
            return admin.describeShareGroups(List.of(group)).describedGroups().get(group).get(30, TimeUnit.SECONDS).members().stream()
                    .filter(member -> member.assignment().topicPartitions().contains(partition)).count();
        } catch (Exception e) {
            throw new AssertionError("Cannot describe share group " + group + ": " + e, e);
        }
    }
}
