package io.ciphertrail.policy.clients;

import io.ciphertrail.core.tls.ClientCertificate;
import io.ciphertrail.policy.PolicyServiceConfig;
import java.time.Clock;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who a DENY ACL must never name, whatever an audit event says: a wildcard or empty principal or host
 * (one ACL would lock out everyone, or everyone on a host), a malformed principal, the brokers' super users
 * (DENY ACLs do not bind them today, and must not the day they stop being super users) and the service
 * itself.
 */
public final class Unblockable {
    private static final Logger LOG = LoggerFactory.getLogger(Unblockable.class);
    private final Set<String> principals;

    /**
     * The service's own principal ({@code ciphertrail.service.principal}, else User:&lt;CN&gt; and User:&lt;subject&gt; of its
     * certificate), {@code ciphertrail.block.exempt.principals}, and the brokers' {@code super.users} when the
     * brokers tell the service (DESCRIBE_CONFIGS on the cluster).
     */
    public static Unblockable of(PolicyServiceConfig config, Map<String, ?> clientConfigs, Admin admin) {
        Set<String> principals = new LinkedHashSet<>(config.getList(PolicyServiceConfig.BLOCK_EXEMPT_PRINCIPALS_CONFIG));
        String own = config.getString(PolicyServiceConfig.SERVICE_PRINCIPAL_CONFIG);
        if (!own.isBlank()) {
            principals.add(own.trim());
        } else {
            new ClientCertificate(clientConfigs, Clock.systemUTC()).current().ifPresent(certificate ->
                    principals.addAll(certificatePrincipals(certificate.getSubjectX500Principal())));
        }
        principals.addAll(superUsers(admin));
        LOG.info("Never blocked, besides wildcard and empty principals and hosts: {}", principals);
        return new Unblockable(principals);
    }

    static Collection<String> certificatePrincipals(X500Principal subject) {
        Set<String> names = new LinkedHashSet<>();
        names.add("User:" + subject.getName());
        try {
            for (Rdn rdn : new LdapName(subject.getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add("User:" + rdn.getValue());
                }
            }
        } catch (InvalidNameException e) {
            // the full subject is still there
        }
        return names;
    }

    private static Collection<String> superUsers(Admin admin) {
        try {
            Collection<Node> nodes = admin.describeCluster().nodes().get(15, TimeUnit.SECONDS);
            if (nodes.isEmpty()) {
                return Set.of();
            }
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, nodes.iterator().next().idString());
            Config config = admin.describeConfigs(Set.of(broker)).all().get(15, TimeUnit.SECONDS).get(broker);
            ConfigEntry entry = config.get("super.users");
            if (entry == null || entry.value() == null) {
                LOG.info("The brokers do not report their super.users; list them in {}", PolicyServiceConfig.BLOCK_EXEMPT_PRINCIPALS_CONFIG);
                return Set.of();
            }
            return Arrays.stream(entry.value().split(";")).map(String::trim).filter(p -> !p.isEmpty()).toList();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.info("Cannot read the brokers' super.users ({}); list them in {}", e.getMessage(),
                    PolicyServiceConfig.BLOCK_EXEMPT_PRINCIPALS_CONFIG);
            return Set.of();
        }
    }

    /** @param principals the service's own principal(s) and the super users */
    public Unblockable(Set<String> principals) {
        this.principals = Set.copyOf(principals);
    }

    /** True for the service's own principal and the super users it knows. */
    public boolean protects(String principal) {
        return principals.contains(principal);
    }

    /** Why {@code principal} on {@code host} may not be blocked, or empty when it may. */
    public Optional<String> why(String principal, String host) {
        if (host == null || host.isBlank() || host.equals("*")) {
            return Optional.of("the host '" + (host == null ? "" : host) + "' is empty or a wildcard");
        }
        int colon = principal == null ? -1 : principal.indexOf(':');
        if (colon <= 0 || colon == principal.length() - 1) {
            return Optional.of("'" + (principal == null ? "" : principal) + "' is not a principal (Type:name)");
        }
        if (principal.substring(colon + 1).equals("*")) {
            return Optional.of("'" + principal + "' is a wildcard principal");
        }
        if (principals.contains(principal)) {
            return Optional.of(principal + " is a super user or the service itself");
        }
        return Optional.empty();
    }
}
