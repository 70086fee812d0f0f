package io.ciphertrail.policy.clients;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Blocks a principal on a host with Kafka DENY ACLs on every topic, group, transactional id and the
 * cluster, and lifts the block later. It creates only bindings that did not exist, and removes only
 * those it created: an operator's identical ACL is left alone.
 */
final class AclBlocker implements AutoCloseable {
    private final Admin admin;

    AclBlocker(Map<String, Object> clientConfigs) {
        this.admin = Admin.create(clientConfigs);
    }

    static List<AclBinding> bindings(String principal, String host) {
        AccessControlEntry deny = new AccessControlEntry(principal, host, AclOperation.ALL, AclPermissionType.DENY);
        return List.of(
                new AclBinding(new ResourcePattern(ResourceType.TOPIC, "*", PatternType.LITERAL), deny),
                new AclBinding(new ResourcePattern(ResourceType.GROUP, "*", PatternType.LITERAL), deny),
                new AclBinding(new ResourcePattern(ResourceType.TRANSACTIONAL_ID, "*", PatternType.LITERAL), deny),
                new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL), deny));
    }

    /** Creates the DENY bindings that do not exist yet; returns those it created (the ones to remove later). */
    List<AclBinding> block(String principal, String host) {
        List<AclBinding> wanted = bindings(principal, host);
        try {
            var existing = admin.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS);
            List<AclBinding> missing = wanted.stream().filter(b -> !existing.contains(b)).toList();
            if (!missing.isEmpty()) {
                admin.createAcls(missing).all().get(30, TimeUnit.SECONDS);
            }
            return missing;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot create DENY ACLs for " + principal + " on " + host + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while blocking " + principal, e);
        }
    }

    /** Removes exactly the given bindings, which this service created. */
    void unblock(List<AclBinding> created) {
        if (created.isEmpty()) {
            return;
        }
        try {
            admin.deleteAcls(created.stream().map(AclBinding::toFilter).toList()).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot remove DENY ACLs: " + (e.getCause() != null ? e.getCause().getMessage() : e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while removing DENY ACLs", e);
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
