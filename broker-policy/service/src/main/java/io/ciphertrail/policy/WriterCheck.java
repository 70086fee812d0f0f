package io.ciphertrail.policy;

import io.ciphertrail.policy.clients.Unblockable;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks at start, when the brokers let the service read ACLs, that nobody but the platform may write to the
 * audit topic (written by the brokers), the quarantine and trail topics (written by the service): a writer there
 * could forge broker events (and get clients blocked), quarantine records (and have them replayed) or a record's
 * trail (and mislead a trace). Warns about every other principal an ALLOW ACL lets write, unless a DENY for
 * {@code User:*} reserves the topic to super users.
 */
final class WriterCheck {
    private static final Logger LOG = LoggerFactory.getLogger(WriterCheck.class);

    private WriterCheck() {
    }

    static void warnAboutOtherWriters(Admin admin, PolicyServiceConfig config, Unblockable service) {
        for (String topic : List.of(config.getString(PolicyServiceConfig.AUDIT_TOPIC_CONFIG),
                config.getString(PolicyServiceConfig.QUARANTINE_TOPIC_CONFIG), config.getString(PolicyServiceConfig.TRAIL_TOPIC_CONFIG))) {
            Collection<AclBinding> acls;
            try {
                acls = admin.describeAcls(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, topic, PatternType.MATCH),
                        AccessControlEntryFilter.ANY)).values().get(15, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                LOG.info("Cannot check who may write to '{}' ({}); grant the service DESCRIBE on the cluster to have it checked",
                        topic, e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            boolean reserved = acls.stream().anyMatch(b -> b.entry().permissionType() == AclPermissionType.DENY
                    && writes(b) && b.entry().principal().equals("User:*") && b.entry().host().equals("*"));
            Set<String> others = new TreeSet<>();
            acls.stream().filter(b -> b.entry().permissionType() == AclPermissionType.ALLOW && writes(b))
                    .map(b -> b.entry().principal()).filter(p -> !service.protects(p)).forEach(others::add);
            if (!reserved && !others.isEmpty()) {
                LOG.warn("SECURITY: besides the brokers and this service, {} may write to '{}' and could forge what the platform"
                        + " trusts there; remove their WRITE, or reserve the topic (docs/broker-setup.md, 'Reserving the platform's topics')",
                        others, topic);
            }
        }
    }

    private static boolean writes(AclBinding binding) {
        return binding.entry().operation() == AclOperation.WRITE || binding.entry().operation() == AclOperation.ALL;
    }
}
