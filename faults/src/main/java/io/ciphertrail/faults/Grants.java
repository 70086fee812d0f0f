package io.ciphertrail.faults;

import io.ciphertrail.embedded.SecureKafkaCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least an identity needs on a cluster whose nodes all run the SecureTransportAuthorizer (no ACL,
 * no access): a producer writes its topics idempotently, a consumer reads its topics in its groups.
 */
public final class Grants {
    private Grants() {
    }

    /** WRITE and DESCRIBE on {@code topics}, IDEMPOTENT_WRITE on the cluster. */
    public static void producer(SecureKafkaCluster cluster, String identity, String... topics) {
        List<AclBinding> acls = new ArrayList<>();
        for (String topic : topics) {
            acls.add(allow(ResourceType.TOPIC, topic, identity, AclOperation.WRITE));
            acls.add(allow(ResourceType.TOPIC, topic, identity, AclOperation.DESCRIBE));
        }
        acls.add(allow(ResourceType.CLUSTER, "kafka-cluster", identity, AclOperation.IDEMPOTENT_WRITE));
        create(cluster, acls, identity, topics);
    }

    /** READ and DESCRIBE on {@code topics}, READ on every group whose name starts with the identity. */
    public static void consumer(SecureKafkaCluster cluster, String identity, String... topics) {
        List<AclBinding> acls = new ArrayList<>();
        for (String topic : topics) {
            acls.add(allow(ResourceType.TOPIC, topic, identity, AclOperation.READ));
            acls.add(allow(ResourceType.TOPIC, topic, identity, AclOperation.DESCRIBE));
        }
        acls.add(new AclBinding(new ResourcePattern(ResourceType.GROUP, identity, PatternType.PREFIXED),
                new AccessControlEntry("User:" + identity, "*", AclOperation.READ, AclPermissionType.ALLOW)));
        create(cluster, acls, identity, topics);
    }

    private static AclBinding allow(ResourceType type, String name, String identity, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry("User:" + identity, "*", operation, AclPermissionType.ALLOW));
    }

    /**
     * Creates the ACLs, then waits until every node applies them (each learns them from the metadata log a
     * moment after the controller commits them): a client that met a node without them would fail for good.
     */
    private static void create(SecureKafkaCluster cluster, List<AclBinding> acls, String identity, String... topics) {
        try (Admin admin = cluster.admin()) {
            admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
            for (String node : cluster.bootstrapServers().split(",")) {
                awaitDescribable(cluster, identity, node, topics);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot create ACLs " + acls + ": " + (e.getCause() != null ? e.getCause().getMessage() : e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating ACLs", e);
        }
    }

    private static void awaitDescribable(SecureKafkaCluster cluster, String identity, String node, String... topics)
            throws InterruptedException, TimeoutException {
        Map<String, Object> settings = cluster.clientProperties(identity);
        settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, node);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Admin asIdentity = Admin.create(settings)) {
            while (true) {
                try {
                    asIdentity.describeTopics(List.of(topics)).allTopicNames().get(10, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException e) {
                    if (System.nanoTime() > deadline) {
                        throw new TimeoutException("Node " + node + " did not let " + identity + " describe " + List.of(topics)
                                + " within 30 s: " + e.getCause().getMessage());
                    }
                    Thread.sleep(100);
                }
            }
        }
    }
}
