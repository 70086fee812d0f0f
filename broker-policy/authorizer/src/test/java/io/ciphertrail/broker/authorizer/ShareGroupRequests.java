package io.ciphertrail.broker.authorizer;

import io.ciphertrail.schemas.audit.AuditEvent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.AlterShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DeleteShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DeleteShareGroupStateRequestData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.InitializeShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryRequestData;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.message.ShareGroupDescribeRequestData;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.WriteShareGroupStateRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AlterShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.DeleteShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.DeleteShareGroupStateRequest;
import org.apache.kafka.common.requests.DescribeShareGroupOffsetsRequest;
import org.apache.kafka.common.requests.InitializeShareGroupStateRequest;
import org.apache.kafka.common.requests.ReadShareGroupStateRequest;
import org.apache.kafka.common.requests.ReadShareGroupStateSummaryRequest;
import org.apache.kafka.common.requests.ShareAcknowledgeRequest;
import org.apache.kafka.common.requests.ShareFetchRequest;
import org.apache.kafka.common.requests.ShareGroupDescribeRequest;
import org.apache.kafka.common.requests.ShareGroupHeartbeatRequest;
import org.apache.kafka.common.requests.WriteShareGroupStateRequest;

/**
 * One request of every share-group API (KIP-932), as the smallest well-formed message: what a
 * member, an administrator and (for the share-state APIs) a broker send. Each group-scoped request
 * names its own group, so the audit trail shows each API under its own key.
 */
final class ShareGroupRequests {
    /** The APIs a client uses, and the group operation each needs. */
    static final Map<ApiKeys, AclOperation> GROUP_APIS = Map.of(
            ApiKeys.SHARE_GROUP_HEARTBEAT, AclOperation.READ,
            ApiKeys.SHARE_FETCH, AclOperation.READ,
            ApiKeys.SHARE_ACKNOWLEDGE, AclOperation.READ,
            ApiKeys.SHARE_GROUP_DESCRIBE, AclOperation.DESCRIBE,
            ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, AclOperation.DESCRIBE,
            ApiKeys.ALTER_SHARE_GROUP_OFFSETS, AclOperation.READ,
            ApiKeys.DELETE_SHARE_GROUP_OFFSETS, AclOperation.DELETE);
    /** The share-state APIs brokers send the share coordinator; they need CLUSTER_ACTION. */
    static final List<ApiKeys> STATE_APIS = List.of(ApiKeys.INITIALIZE_SHARE_GROUP_STATE, ApiKeys.READ_SHARE_GROUP_STATE,
            ApiKeys.WRITE_SHARE_GROUP_STATE, ApiKeys.DELETE_SHARE_GROUP_STATE, ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY);

    private ShareGroupRequests() {
    }

    /**
     * Every share-group API, in a stable order; {@code groupFor} names the group of each. The share-state
     * requests name partition 0 of the topic: a broker answers an unauthorized one per partition.
     */
    static Map<ApiKeys, AbstractRequest.Builder<?>> all(String topic, Uuid topicId, Function<ApiKeys, String> groupFor) {
        String member = Uuid.randomUuid().toString();
        Map<ApiKeys, AbstractRequest.Builder<?>> requests = new LinkedHashMap<>();
        requests.put(ApiKeys.SHARE_GROUP_HEARTBEAT, new ShareGroupHeartbeatRequest.Builder(new ShareGroupHeartbeatRequestData()
                .setGroupId(groupFor.apply(ApiKeys.SHARE_GROUP_HEARTBEAT)).setMemberId(member).setMemberEpoch(0)
                .setSubscribedTopicNames(List.of(topic))));
        requests.put(ApiKeys.SHARE_FETCH, new ShareFetchRequest.Builder(new ShareFetchRequestData()
                .setGroupId(groupFor.apply(ApiKeys.SHARE_FETCH)).setMemberId(member).setShareSessionEpoch(0)
                .setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1024).setMaxRecords(10).setBatchSize(10)));
        requests.put(ApiKeys.SHARE_ACKNOWLEDGE, new ShareAcknowledgeRequest.Builder(new ShareAcknowledgeRequestData()
                .setGroupId(groupFor.apply(ApiKeys.SHARE_ACKNOWLEDGE)).setMemberId(member).setShareSessionEpoch(1)));
        requests.put(ApiKeys.SHARE_GROUP_DESCRIBE, new ShareGroupDescribeRequest.Builder(new ShareGroupDescribeRequestData()
                .setGroupIds(List.of(groupFor.apply(ApiKeys.SHARE_GROUP_DESCRIBE)))));
        requests.put(ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, new DescribeShareGroupOffsetsRequest.Builder(new DescribeShareGroupOffsetsRequestData()
                .setGroups(List.of(new DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestGroup()
                        .setGroupId(groupFor.apply(ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS))))));
        AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopicCollection alter =
                new AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopicCollection();
        alter.add(new AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopic().setTopicName(topic)
                .setPartitions(List.of(new AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestPartition()
                        .setPartitionIndex(0).setStartOffset(0))));
        requests.put(ApiKeys.ALTER_SHARE_GROUP_OFFSETS, new AlterShareGroupOffsetsRequest.Builder(new AlterShareGroupOffsetsRequestData()
                .setGroupId(groupFor.apply(ApiKeys.ALTER_SHARE_GROUP_OFFSETS)).setTopics(alter)));
        requests.put(ApiKeys.DELETE_SHARE_GROUP_OFFSETS, new DeleteShareGroupOffsetsRequest.Builder(new DeleteShareGroupOffsetsRequestData()
                .setGroupId(groupFor.apply(ApiKeys.DELETE_SHARE_GROUP_OFFSETS))
                .setTopics(List.of(new DeleteShareGroupOffsetsRequestData.DeleteShareGroupOffsetsRequestTopic().setTopicName(topic)))));
        requests.put(ApiKeys.INITIALIZE_SHARE_GROUP_STATE, new InitializeShareGroupStateRequest.Builder(new InitializeShareGroupStateRequestData()
                .setGroupId(groupFor.apply(ApiKeys.INITIALIZE_SHARE_GROUP_STATE)).setTopics(List.of(new InitializeShareGroupStateRequestData.InitializeStateData()
                        .setTopicId(topicId).setPartitions(List.of(new InitializeShareGroupStateRequestData.PartitionData().setPartition(0)))))));
        requests.put(ApiKeys.READ_SHARE_GROUP_STATE, new ReadShareGroupStateRequest.Builder(new ReadShareGroupStateRequestData()
                .setGroupId(groupFor.apply(ApiKeys.READ_SHARE_GROUP_STATE)).setTopics(List.of(new ReadShareGroupStateRequestData.ReadStateData()
                        .setTopicId(topicId).setPartitions(List.of(new ReadShareGroupStateRequestData.PartitionData().setPartition(0)))))));
        // What an intruder would send to mark a queue's records as done without reading them.
        requests.put(ApiKeys.WRITE_SHARE_GROUP_STATE, new WriteShareGroupStateRequest.Builder(new WriteShareGroupStateRequestData()
                .setGroupId(groupFor.apply(ApiKeys.WRITE_SHARE_GROUP_STATE)).setTopics(List.of(new WriteShareGroupStateRequestData.WriteStateData()
                        .setTopicId(topicId).setPartitions(List.of(new WriteShareGroupStateRequestData.PartitionData().setPartition(0)
                                .setStartOffset(Long.MAX_VALUE / 2)))))));
        requests.put(ApiKeys.DELETE_SHARE_GROUP_STATE, new DeleteShareGroupStateRequest.Builder(new DeleteShareGroupStateRequestData()
                .setGroupId(groupFor.apply(ApiKeys.DELETE_SHARE_GROUP_STATE)).setTopics(List.of(new DeleteShareGroupStateRequestData.DeleteStateData()
                        .setTopicId(topicId).setPartitions(List.of(new DeleteShareGroupStateRequestData.PartitionData().setPartition(0)))))));
        requests.put(ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY, new ReadShareGroupStateSummaryRequest.Builder(new ReadShareGroupStateSummaryRequestData()
                .setGroupId(groupFor.apply(ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY)).setTopics(List.of(new ReadShareGroupStateSummaryRequestData.ReadStateSummaryData()
                        .setTopicId(topicId).setPartitions(List.of(new ReadShareGroupStateSummaryRequestData.PartitionData().setPartition(0)))))));
        return requests;
    }

    /** Audit events of requests over PLAINTEXT on resources named {@code prefix}... and on the cluster (CLUSTER_ACTION). */
    static Predicate<AuditEvent> plaintextEventsOn(String prefix) {
        return e -> e.getAuthorization() != null && "PLAINTEXT".equals(e.getAuthorization().getSecurityProtocol())
                && (e.getAuthorization().getResourceName().startsWith(prefix) || e.getAuthorization().getOperation().equals("CLUSTER_ACTION"));
    }

    /** An event for each client API (by its own group) and for all five share-state requests (CLUSTER_ACTION). */
    static boolean everyApiAudited(List<AuditEvent> events, Function<ApiKeys, String> groupFor) {
        boolean groups = GROUP_APIS.keySet().stream().allMatch(api -> events.stream()
                .anyMatch(e -> e.getAuthorization().getResourceName().equals(groupFor.apply(api))
                        && e.getAuthorization().getRequestType().equals(api.name())));
        List<AuditEvent> state = events.stream().filter(e -> e.getAuthorization().getOperation().equals("CLUSTER_ACTION")).toList();
        return groups && AuditTopicReader.countSum(state) >= STATE_APIS.size()
                && state.stream().allMatch(e -> STATE_APIS.stream().anyMatch(api -> api.name().equals(e.getAuthorization().getRequestType())));
    }
}
