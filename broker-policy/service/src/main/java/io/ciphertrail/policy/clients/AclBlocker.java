package io.ciphertrail.policy.clients;

import io.ciphertrail.policy.clients.BlockRegistry.Block;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocks a principal on a host with Kafka DENY ACLs on every topic, group, transactional id and the
 * cluster, and lifts the block when it expires. It creates only bindings that did not exist, records them
 * in the {@link BlockRegistry} before creating them, and removes only what the registry says it created:
 * an identical ACL an operator placed before is left alone. Never blocks what {@link Unblockable} protects.
 * Shared by the service's stream threads.
 */
public final class AclBlocker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AclBlocker.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Admin admin;
    private final BlockRegistry registry;
    private final Unblockable unblockable;

    public AclBlocker(Map<String, Object> clientConfigs, String blocksTopic, Unblockable unblockable) {
        this.registry = new BlockRegistry(clientConfigs, blocksTopic);
        this.admin = Admin.create(clientConfigs);
        this.unblockable = unblockable;
    }

    Unblockable unblockable() {
        return unblockable;
    }

    static List<AclBinding> bindings(String principal, String host) {
        AccessControlEntry deny = new AccessControlEntry(principal, host, AclOperation.ALL, AclPermissionType.DENY);
        return List.of(
                new AclBinding(new ResourcePattern(ResourceType.TOPIC, "*", PatternType.LITERAL), deny),
                new AclBinding(new ResourcePattern(ResourceType.GROUP, "*", PatternType.LITERAL), deny),
                new AclBinding(new ResourcePattern(ResourceType.TRANSACTIONAL_ID, "*", PatternType.LITERAL), deny),
                new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL), deny));
    }

    /**
     * Blocks {@code principal} on {@code host} until {@code expiresAtMs} (extending a block this service placed).
     *
     * @throws IllegalArgumentException when the principal or host may never be blocked
     */
    synchronized void block(String principal, String host, long expiresAtMs) {
        unblockable.why(principal, host).ifPresent(why -> {
            throw new IllegalArgumentException(why);
        });
        try {
            Collection<AclBinding> existing = admin.describeAcls(new AclBindingFilter(ResourcePatternFilter.ANY,
                    new AccessControlEntryFilter(principal, host, AclOperation.ALL, AclPermissionType.DENY))).values()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            List<AclBinding> missing = bindings(principal, host).stream().filter(b -> !existing.contains(b)).toList();
            Set<ResourceType> created = EnumSet.noneOf(ResourceType.class);
            registry.get(principal, host).ifPresent(previous -> created.addAll(previous.created()));
            missing.forEach(binding -> created.add(binding.pattern().resourceType()));
            registry.put(new Block(principal, host, expiresAtMs, created));
            if (!missing.isEmpty()) {
                admin.createAcls(missing).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot create DENY ACLs for " + principal + " on " + host + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while blocking " + principal, e);
        }
    }

    /** Lifts every block that has expired, removing exactly the bindings this service created; returns how many. */
    synchronized int liftExpired(long nowMs) {
        int lifted = 0;
        for (Block block : registry.expired(nowMs)) {
            List<AclBinding> ours = bindings(block.principal(), block.host()).stream()
                    .filter(b -> block.created().contains(b.pattern().resourceType())).toList();
            try {
                if (!ours.isEmpty()) {
                    admin.deleteAcls(ours.stream().map(AclBinding::toFilter).toList()).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                }
                registry.remove(block);
                lifted++;
                LOG.info("Block of {} on {} expired; the DENY ACLs this service placed are removed", block.principal(), block.host());
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                LOG.error("Could not lift the block of {} on {} (will retry): {}", block.principal(), block.host(),
                        e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return lifted;
            }
        }
        return lifted;
    }

    @Override
    public void close() {
        try {
            admin.close(Duration.ofSeconds(5));
        } finally {
            registry.close();
        }
    }
}
