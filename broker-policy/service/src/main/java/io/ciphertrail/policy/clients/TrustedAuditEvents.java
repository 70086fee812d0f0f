package io.ciphertrail.policy.clients;

import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.AuthorizationInfo;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which audit events the insecure-client monitor acts on: authorization events written by the broker
 * authorizers of this cluster, and no others. WRITE on the audit topic is reserved to the brokers (and the
 * policy service, whose record events are of another type) by ACL; on top of that an event must be of the
 * authorization type, come from a broker or controller of this cluster ({@code source}), be keyed by its own
 * client address as the authorizer keys them, and not stem from a listener the brokers exempt from the
 * transport check (their declared exception, not an intruder).
 */
final class TrustedAuditEvents {
    static final String AUTHORIZATION_TYPE = "io.ciphertrail.kafka.server/authorization";
    private static final Set<String> INSECURE_PROTOCOLS = Set.of("PLAINTEXT", "SASL_PLAINTEXT");

    private final Pattern brokerSource;
    private final Set<String> exemptListeners;

    /**
     * @param clusterId       the cluster whose brokers' events count
     * @param exemptListeners listener names the brokers exempt (needed for PERMISSIVE clusters; STRICT ones show it)
     */
    TrustedAuditEvents(String clusterId, Set<String> exemptListeners) {
        this.brokerSource = Pattern.compile(Pattern.quote("crn:///kafka=" + clusterId) + "/node=\\d+/role=(broker|controller)");
        this.exemptListeners = exemptListeners.stream().map(l -> l.trim().toUpperCase(Locale.ROOT)).collect(java.util.stream.Collectors.toSet());
    }

    /** True for a broker's event about an insecure attempt: a request over an insecure transport or without a client certificate. */
    boolean insecureAttempt(byte[] key, AuditEvent event) {
        AuthorizationInfo authorization = event.getAuthorization();
        if (authorization == null || !AUTHORIZATION_TYPE.equals(event.getType()) || !brokerSource.matcher(event.getSource()).matches()
                || key == null || !Arrays.equals(key, authorization.getClientAddress().getBytes(StandardCharsets.UTF_8))) {
            return false;
        }
        boolean insecureTransport = INSECURE_PROTOCOLS.contains(authorization.getSecurityProtocol());
        if (insecureTransport && (exemptListeners.contains(authorization.getListener().toUpperCase(Locale.ROOT))
                || ("STRICT".equals(authorization.getMode()) && event.getEventType() != AuditEventType.INSECURE_REQUEST_DENIED))) {
            // STRICT denies every insecure request except on an exempted listener: anything else insecure comes from one.
            return false;
        }
        return insecureTransport || event.getEventType() == AuditEventType.ANONYMOUS_REQUEST_DENIED;
    }
}
