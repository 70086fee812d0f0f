package io.ciphertrail.broker.authorizer;

import io.ciphertrail.broker.authorizer.SecureTransportConfig.Mode;
import io.ciphertrail.broker.authorizer.audit.AuditAggregator;
import io.ciphertrail.broker.authorizer.audit.AuditClientSettings;
import io.ciphertrail.broker.authorizer.audit.AuditEvents;
import io.ciphertrail.broker.authorizer.audit.AuditMetrics;
import io.ciphertrail.broker.authorizer.audit.AuditPublisher;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.Decision;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;
import org.apache.kafka.server.authorizer.AuthorizerServerInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's {@link StandardAuthorizer} (ACLs in the KRaft metadata log, unchanged) with a transport
 * check in front of it: Kafka's version of an {@code aws:SecureTransport = false} deny.
 *
 * <ul>
 *   <li>{@code STRICT}: every request that arrives over {@code PLAINTEXT} or {@code SASL_PLAINTEXT} is
 *       denied before the ACLs and before the super-user check, so even a super user gets nothing in
 *       and nothing out over an insecure listener.</li>
 *   <li>{@code PERMISSIVE}: such requests go on to the ACLs, and every one of them is audited: the
 *       migration mode.</li>
 *   <li>Optionally (on by default) a TLS connection without a client certificate
 *       ({@code User:ANONYMOUS} on an {@code SSL} listener whose {@code ssl.client.auth} is only
 *       {@code requested}) is denied too.</li>
 *   <li>Optionally (on by default, with the {@link CertificatePrincipalBuilder}) a request on a TLS connection whose
 *       client certificate has expired since the connection was opened is denied: a short certificate lifetime then
 *       bounds what a stolen key is worth even on a connection that was already open.</li>
 * </ul>
 *
 * <p>Denials, tolerated insecure requests and (optionally) ACL denials become audit events, counted
 * per key and window on the request thread and built, logged and published on a separate thread by
 * {@link AuditPublisher}. Set it as {@code authorizer.class.name} on brokers and controllers; the
 * settings are the {@code ciphertrail.authorizer.*} keys of {@link SecureTransportConfig}.
 */
public class SecureTransportAuthorizer extends StandardAuthorizer {
    private static final Logger LOG = LoggerFactory.getLogger(SecureTransportAuthorizer.class);

    /** Marks the nested {@code authorize} call that Kafka's {@code authorizeByResourceType} makes, so it is not audited twice. */
    private static final ThreadLocal<boolean[]> IN_RESOURCE_TYPE_CHECK = ThreadLocal.withInitial(() -> new boolean[1]);
    private static final String ANONYMOUS_NAME = KafkaPrincipal.ANONYMOUS.getName();
    /**
     * SASL mechanisms whose exchange gives an eavesdropper something to use: the password itself (PLAIN), a
     * bearer token (OAUTHBEARER) or a salted proof open to offline guessing (SCRAM).
     */
    private static final Set<String> CREDENTIAL_MECHANISMS = Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER");

    /** Indexed by {@link SecurityProtocol#ordinal()}: the hot path's whole insecure check is one array read. */
    private final boolean[] insecureProtocol = new boolean[SecurityProtocol.values().length];
    private volatile boolean strict = true;
    private volatile boolean denyAnonymous = true;
    private volatile boolean denyExpired = true;
    private volatile boolean auditAclDenials = true;
    private volatile Set<String> exemptListeners = Set.of();

    private final AuditMetrics auditMetrics = new AuditMetrics();
    private SecureTransportConfig config;
    private Map<String, ?> brokerConfig;
    private Optional<AuditClientSettings> auditClientSettings = Optional.empty();
    private AuditAggregator aggregator;
    private AuditPublisher publisher;

    public SecureTransportAuthorizer() {
        insecureProtocol[SecurityProtocol.PLAINTEXT.ordinal()] = true;
        insecureProtocol[SecurityProtocol.SASL_PLAINTEXT.ordinal()] = true;
    }

    @Override
    public void configure(Map<String, ?> configs) {
        super.configure(configs);
        SecureTransportConfig parsed = new SecureTransportConfig(configs);
        Map<String, SecurityProtocol> protocols = AuditClientSettings.securityProtocolMap(configs);
        List<String> exempt = parsed.exemptListeners();
        for (String listener : exempt) {
            if (!protocols.containsKey(listener)) {
                throw new ConfigException(SecureTransportConfig.EXEMPT_LISTENERS_CONFIG, String.join(",", exempt),
                        "listener " + listener + " is not in listener.security.protocol.map " + protocols.keySet());
            }
        }
        Mode mode = parsed.mode();
        if (mode == Mode.STRICT) {
            requireSecureInternalListeners(configs, protocols, exempt);
            refuseCredentialsInClear(configs, protocols, exempt);
        }
        this.auditClientSettings = parsed.publishAudit()
                ? Optional.of(AuditClientSettings.derive(configs, parsed)) : Optional.empty();
        this.config = parsed;
        this.brokerConfig = configs;
        this.strict = mode == Mode.STRICT;
        this.denyAnonymous = parsed.denyAnonymous();
        this.denyExpired = parsed.denyExpiredCertificates();
        this.auditAclDenials = parsed.auditAclDenials();
        this.exemptListeners = Set.copyOf(exempt);
        this.aggregator = new AuditAggregator(parsed.auditMaxAggregates(), System::currentTimeMillis, auditMetrics);
        logSettings(protocols, exempt);
    }

    /**
     * In STRICT mode the broker would deny its own replication and controller traffic if it travelled
     * over an insecure listener: refuse to start rather than hang, and say what to change.
     */
    private static void requireSecureInternalListeners(Map<String, ?> configs, Map<String, SecurityProtocol> protocols, List<String> exempt) {
        List<String> internal = new ArrayList<>();
        Object roles = configs.get("process.roles");
        if (roles == null || roles.toString().toLowerCase(Locale.ROOT).contains("broker")) {
            internal.add(AuditClientSettings.interBrokerListenerName(configs));
        }
        internal.addAll(AuditClientSettings.controllerListenerNames(configs));
        for (String listener : internal) {
            SecurityProtocol protocol = protocols.get(listener);
            if ((protocol == SecurityProtocol.PLAINTEXT || protocol == SecurityProtocol.SASL_PLAINTEXT) && !exempt.contains(listener)) {
                throw new ConfigException(SecureTransportConfig.MODE_CONFIG, Mode.STRICT.name(),
                        "the broker-internal listener " + listener + " uses " + protocol + ", so STRICT mode would deny the"
                                + " cluster's own replication and controller traffic. Make it SSL with ssl.client.auth=required"
                                + " (and the broker principal in super.users), or during a migration only list it in "
                                + SecureTransportConfig.EXEMPT_LISTENERS_CONFIG);
            }
        }
    }

    /**
     * SASL authentication happens before any request is authorized: on a SASL_PLAINTEXT listener a password
     * mechanism hands the client's credentials to anyone on the path, and denying every later request (STRICT)
     * does not take them back. Refuse to start rather than run such a listener.
     */
    private static void refuseCredentialsInClear(Map<String, ?> configs, Map<String, SecurityProtocol> protocols, List<String> exempt) {
        for (String listener : AuditClientSettings.listenerNames(configs)) {
            if (protocols.get(listener) != SecurityProtocol.SASL_PLAINTEXT) {
                continue;
            }
            List<String> exposed = AuditClientSettings.saslMechanisms(configs, listener).stream()
                    .filter(CREDENTIAL_MECHANISMS::contains).toList();
            if (exposed.isEmpty()) {
                continue;
            }
            String problem = "listener " + listener + " is SASL_PLAINTEXT with " + String.join(", ", exposed) + ": clients send"
                    + " their credentials over it in clear while authenticating, before any authorizer runs, so STRICT mode cannot"
                    + " protect them. Make it SASL_SSL (the same mechanisms inside TLS) or remove it from listeners";
            if (!exempt.contains(listener)) {
                throw new ConfigException(SecureTransportConfig.MODE_CONFIG, Mode.STRICT.name(), problem);
            }
            LOG.warn("SECURITY: {} (it is in {}, so the broker starts anyway)", problem, SecureTransportConfig.EXEMPT_LISTENERS_CONFIG);
        }
    }

    private void logSettings(Map<String, SecurityProtocol> protocols, List<String> exempt) {
        List<String> insecure = protocols.entrySet().stream()
                .filter(e -> insecureProtocol[e.getValue().ordinal()]).map(Map.Entry::getKey).toList();
        LOG.info("SecureTransportAuthorizer: {}={}, {}={}, {}={}; insecure listener names {} are {}", SecureTransportConfig.MODE_CONFIG,
                strict ? "STRICT" : "PERMISSIVE", SecureTransportConfig.DENY_ANONYMOUS_CONFIG, denyAnonymous,
                SecureTransportConfig.AUDIT_ACL_DENIALS_CONFIG, auditAclDenials, insecure,
                strict ? "denied" : "allowed subject to ACLs and audited");
        if (!strict) {
            LOG.warn("SecureTransportAuthorizer is in PERMISSIVE mode: requests over PLAINTEXT and SASL_PLAINTEXT are allowed"
                    + " (subject to ACLs) and audited. This is a migration mode; set {}=STRICT once the audit trail shows no"
                    + " insecure clients.", SecureTransportConfig.MODE_CONFIG);
        }
        if (strict && !denyAnonymous) {
            LOG.warn("SECURITY: STRICT mode runs with {}=false: TLS clients that present no certificate (User:ANONYMOUS on a"
                    + " listener whose ssl.client.auth is 'requested' or 'none', and admin requests the brokers forward for such"
                    + " clients) are authorized by ACLs alone. Set it to true unless such clients are still being migrated.",
                    SecureTransportConfig.DENY_ANONYMOUS_CONFIG);
        }
        for (String listener : exempt) {
            LOG.warn("SECURITY: listener {} ({}) is exempted from the transport check by {}: anyone who can reach it is"
                            + " authorized by ACLs alone, over a connection that is not encrypted or not authenticated by TLS."
                            + " Every request on it is audited. Remove the exemption as soon as the listener is TLS.",
                    listener, protocols.get(listener), SecureTransportConfig.EXEMPT_LISTENERS_CONFIG);
        }
    }

    @Override
    public void withPluginMetrics(PluginMetrics metrics) {
        super.withPluginMetrics(metrics);
        auditMetrics.register(metrics);
    }

    @Override
    public Map<Endpoint, ? extends CompletionStage<Void>> start(AuthorizerServerInfo serverInfo) {
        Map<Endpoint, ? extends CompletionStage<Void>> started = super.start(serverInfo);
        if (config != null && publisher == null) {
            String role = isControllerOnly(serverInfo) ? "controller" : "broker";
            String clusterId = serverInfo.clusterResource() != null ? serverInfo.clusterResource().clusterId() : "unknown";
            AuditEvents events = new AuditEvents(clusterId, serverInfo.brokerId(), role, strict ? "STRICT" : "PERMISSIVE");
            publisher = new AuditPublisher(config, auditClientSettings, aggregator, events, auditMetrics,
                    "ciphertrail-audit-node" + serverInfo.brokerId() + "-" + role);
            publisher.start();
        }
        return started;
    }

    /** The controller's authorizer is started with the controller endpoints only. */
    private boolean isControllerOnly(AuthorizerServerInfo serverInfo) {
        List<String> controllerListeners = AuditClientSettings.controllerListenerNames(brokerConfig);
        return !serverInfo.endpoints().isEmpty() && serverInfo.endpoints().stream()
                .allMatch(endpoint -> controllerListeners.contains(endpoint.listener().toUpperCase(Locale.ROOT)));
    }

    /** What the transport check says about a request, before any ACL is looked at. */
    private enum Transport {
        SECURE(null), INSECURE_DENIED(AuditEventType.INSECURE_REQUEST_DENIED), INSECURE_TOLERATED(null),
        ANONYMOUS_DENIED(AuditEventType.ANONYMOUS_REQUEST_DENIED), EXPIRED_DENIED(AuditEventType.EXPIRED_CERTIFICATE_DENIED);

        /** The audit event of a denial. */
        final AuditEventType denial;

        Transport(AuditEventType denial) {
            this.denial = denial;
        }
    }

    private Transport transport(AuthorizableRequestContext context) {
        SecurityProtocol protocol = context.securityProtocol();
        if (insecureProtocol[protocol.ordinal()]) {
            if (strict && !exemptListeners.contains(context.listenerName())) {
                return Transport.INSECURE_DENIED;
            }
            return Transport.INSECURE_TOLERATED;
        }
        if (denyAnonymous && protocol == SecurityProtocol.SSL && isAnonymous(context.principal())) {
            return Transport.ANONYMOUS_DENIED;
        }
        if (denyExpired && context.principal() instanceof CertificatePrincipal certificate && certificate.expiredAt(System.currentTimeMillis())) {
            return Transport.EXPIRED_DENIED;
        }
        return Transport.SECURE;
    }

    private static boolean isAnonymous(KafkaPrincipal principal) {
        return principal != null && KafkaPrincipal.USER_TYPE.equals(principal.getPrincipalType())
                && ANONYMOUS_NAME.equals(principal.getName());
    }

    @Override
    public List<AuthorizationResult> authorize(AuthorizableRequestContext context, List<Action> actions) {
        Transport transport = transport(context);
        switch (transport) {
            case SECURE -> {
                List<AuthorizationResult> results = super.authorize(context, actions);
                if (auditAclDenials && aggregator != null) {
                    for (int i = 0; i < results.size(); i++) {
                        Action action = actions.get(i);
                        if (results.get(i) == AuthorizationResult.DENIED && action.logIfDenied() && !inResourceTypeCheck()) {
                            aggregator.record(context, action.resourcePattern(), action.operation(), AuditEventType.ACL_DENIED, Decision.DENIED);
                        }
                    }
                }
                return results;
            }
            case INSECURE_DENIED, ANONYMOUS_DENIED, EXPIRED_DENIED -> {
                countDenied(transport, actions.size());
                if (aggregator != null && !inResourceTypeCheck()) {
                    for (int i = 0; i < actions.size(); i++) {
                        Action action = actions.get(i);
                        aggregator.record(context, action.resourcePattern(), action.operation(), transport.denial, Decision.DENIED);
                    }
                }
                return Collections.nCopies(actions.size(), AuthorizationResult.DENIED);
            }
            default -> {
                List<AuthorizationResult> results = super.authorize(context, actions);
                auditMetrics.insecureAllowed(actions.size());
                if (aggregator != null && !inResourceTypeCheck()) {
                    for (int i = 0; i < results.size(); i++) {
                        Action action = actions.get(i);
                        boolean allowed = results.get(i) == AuthorizationResult.ALLOWED;
                        aggregator.record(context, action.resourcePattern(), action.operation(),
                                allowed ? AuditEventType.INSECURE_REQUEST_ALLOWED : AuditEventType.ACL_DENIED,
                                allowed ? Decision.ALLOWED : Decision.DENIED);
                    }
                }
                return results;
            }
        }
    }

    /**
     * Kafka's default implementation answers from the ACLs without always calling {@link #authorize},
     * so the transport check is repeated here: an insecure idempotent producer must not slip through.
     */
    @Override
    public AuthorizationResult authorizeByResourceType(AuthorizableRequestContext context, AclOperation operation, ResourceType resourceType) {
        Transport transport = transport(context);
        ResourcePattern anyOfType = new ResourcePattern(resourceType, ResourcePattern.WILDCARD_RESOURCE, PatternType.LITERAL);
        if (transport.denial != null) {
            countDenied(transport, 1);
            if (aggregator != null) {
                aggregator.record(context, anyOfType, operation, transport.denial, Decision.DENIED);
            }
            return AuthorizationResult.DENIED;
        }
        boolean[] nested = IN_RESOURCE_TYPE_CHECK.get();
        AuthorizationResult result;
        nested[0] = true;
        try {
            result = super.authorizeByResourceType(context, operation, resourceType);
        } finally {
            nested[0] = false;
        }
        if (aggregator != null) {
            boolean allowed = result == AuthorizationResult.ALLOWED;
            if (transport == Transport.INSECURE_TOLERATED) {
                auditMetrics.insecureAllowed(1);
                aggregator.record(context, anyOfType, operation,
                        allowed ? AuditEventType.INSECURE_REQUEST_ALLOWED : AuditEventType.ACL_DENIED,
                        allowed ? Decision.ALLOWED : Decision.DENIED);
            } else if (!allowed && auditAclDenials) {
                aggregator.record(context, anyOfType, operation, AuditEventType.ACL_DENIED, Decision.DENIED);
            }
        }
        return result;
    }

    private void countDenied(Transport transport, int requests) {
        switch (transport) {
            case INSECURE_DENIED -> auditMetrics.insecureDenied(requests);
            case ANONYMOUS_DENIED -> auditMetrics.anonymousDenied(requests);
            default -> auditMetrics.expiredDenied(requests);
        }
    }

    private static boolean inResourceTypeCheck() {
        return IN_RESOURCE_TYPE_CHECK.get()[0];
    }

    /** The transport and audit counters (also published as plugin metrics). */
    public AuditMetrics auditMetrics() {
        return auditMetrics;
    }

    @Override
    public void close() throws IOException {
        try {
            if (publisher != null) {
                publisher.close();
            }
        } finally {
            super.close();
        }
    }
}
