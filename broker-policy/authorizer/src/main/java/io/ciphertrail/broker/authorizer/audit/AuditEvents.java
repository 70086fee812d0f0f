package io.ciphertrail.broker.authorizer.audit;

import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuthorizationInfo;
import java.net.InetAddress;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * Turns drained aggregates into {@link AuditEvent}s and events into their one-line JSON form. Runs on
 * the audit thread only, so it may allocate freely.
 */
public final class AuditEvents {
    /** CloudEvents {@code type} of authorization events. */
    public static final String AUTHORIZATION_TYPE = "io.ciphertrail.kafka.server/authorization";

    private final String clusterCrn;
    private final String source;
    private final String mode;

    /**
     * @param clusterId the Kafka cluster id
     * @param nodeId    this node's id
     * @param role      {@code broker} or {@code controller}
     * @param mode      the authorizer mode, recorded in every event
     */
    public AuditEvents(String clusterId, int nodeId, String role, String mode) {
        this.clusterCrn = "crn:///kafka=" + clusterId;
        this.source = clusterCrn + "/node=" + nodeId + "/role=" + role;
        this.mode = mode;
    }

    public AuditEvent toEvent(AuditAggregator.Drained drained) {
        AuditAggregator.Key key = drained.key();
        ResourcePattern resource = key.resource();
        AuthorizationInfo authorization = AuthorizationInfo.newBuilder()
                .setServiceName(clusterCrn)
                .setMethodName(methodName(drained.requestType()))
                .setListener(String.valueOf(key.listener()))
                .setSecurityProtocol(String.valueOf(key.securityProtocol()))
                .setPrincipal(String.valueOf(key.principal()))
                .setClientAddress(address(key.clientAddress()))
                .setClientId(drained.clientId() == null ? "" : drained.clientId())
                .setRequestType(requestType(drained.requestType()))
                .setResourceType(resource.resourceType().name())
                .setResourceName(resource.name())
                .setPatternType(resource.patternType().name())
                .setOperation(key.operation().name())
                .setDecision(key.decision())
                .setReason(reason(key))
                .setMode(mode)
                .setCount(drained.count())
                .setWindowStart(Instant.ofEpochMilli(drained.firstMs()))
                .setWindowEnd(Instant.ofEpochMilli(drained.lastMs()))
                .build();
        return AuditEvent.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setSource(source)
                .setType(AUTHORIZATION_TYPE)
                .setTime(Instant.ofEpochMilli(drained.lastMs()))
                .setSubject(subject(resource))
                .setEventType(key.eventType())
                .setAuthorization(authorization)
                .build();
    }

    /** Why, in words an operator can act on. */
    String reason(AuditAggregator.Key key) {
        String reason = decisionReason(key);
        return key.collapsed()
                ? reason + " (this event counts the client's requests for any " + key.resource().resourceType() + ": the audit table"
                        + " was nearly full, see ciphertrail.authorizer.audit.max.aggregates)"
                : reason;
    }

    private String decisionReason(AuditAggregator.Key key) {
        String protocol = String.valueOf(key.securityProtocol());
        String listener = key.listener();
        return switch (key.eventType()) {
            case INSECURE_REQUEST_DENIED -> "STRICT mode denies every request over " + protocol + " (listener " + listener
                    + "), before ACLs and super-user checks; the client must connect to a TLS listener with a client certificate";
            case INSECURE_REQUEST_ALLOWED -> "request over " + protocol + " (listener " + listener + ") allowed by ACLs because "
                    + ("PERMISSIVE".equals(mode) ? "PERMISSIVE mode tolerates insecure transports; STRICT mode would deny it"
                            : "the listener is in ciphertrail.authorizer.exempt.listeners")
                    + ": move the client to a TLS listener";
            case ANONYMOUS_REQUEST_DENIED -> "TLS connection without a client certificate (User:ANONYMOUS) on listener " + listener
                    + " is denied; the client must present a certificate issued by the cluster's CA";
            case EXPIRED_CERTIFICATE_DENIED -> "the client certificate this TLS connection (listener " + listener + ") was opened with"
                    + " has expired; the client must reconnect with a valid one (Ciphertrail clients renew theirs from the trust service"
                    + " and reconnect by themselves)";
            case ACL_DENIED -> key.securityProtocol() == SecurityProtocol.PLAINTEXT || key.securityProtocol() == SecurityProtocol.SASL_PLAINTEXT
                    ? "denied by ACLs (the request came over " + protocol + ", which only PERMISSIVE mode or an exemption lets reach the ACLs)"
                    : "denied by ACLs: no ACL allows " + key.principal() + " to " + key.operation() + " this resource, or one denies it";
            default -> "unknown";
        };
    }

    private String subject(ResourcePattern resource) {
        String kind = switch (resource.resourceType()) {
            case TOPIC -> "topic";
            case GROUP -> "group";
            case TRANSACTIONAL_ID -> "transactional-id";
            case DELEGATION_TOKEN -> "delegation-token";
            case USER -> "user";
            case CLUSTER -> null;
            default -> resource.resourceType().name().toLowerCase(Locale.ROOT);
        };
        if (kind == null) {
            return clusterCrn;
        }
        return clusterCrn + "/" + kind + "=" + resource.name() + (resource.patternType() == PatternType.PREFIXED ? "*" : "");
    }

    private static String address(InetAddress address) {
        return address == null ? "" : address.getHostAddress();
    }

    static String requestType(int apiKey) {
        return ApiKeys.hasId(apiKey) ? ApiKeys.forId(apiKey).name() : "API_" + apiKey;
    }

    private static String methodName(int apiKey) {
        return ApiKeys.hasId(apiKey) ? "kafka." + ApiKeys.forId(apiKey).name : "kafka.Api" + apiKey;
    }

    /**
     * The event as one line of JSON for the log (logger {@code io.ciphertrail.audit}). Strings that
     * clients choose (client id, resource names) are escaped, so a client cannot forge log lines.
     */
    public static String toJsonLine(AuditEvent event) {
        StringBuilder json = new StringBuilder(512).append('{');
        field(json, "id", event.getId());
        field(json, "time", event.getTime().toString());
        field(json, "source", event.getSource());
        field(json, "type", event.getType());
        field(json, "eventType", event.getEventType().name());
        field(json, "subject", event.getSubject());
        AuthorizationInfo a = event.getAuthorization();
        if (a != null) {
            field(json, "decision", a.getDecision().name());
            field(json, "mode", a.getMode());
            field(json, "listener", a.getListener());
            field(json, "securityProtocol", a.getSecurityProtocol());
            field(json, "principal", a.getPrincipal());
            field(json, "clientAddress", a.getClientAddress());
            field(json, "clientId", a.getClientId());
            field(json, "requestType", a.getRequestType());
            field(json, "resourceType", a.getResourceType());
            field(json, "resourceName", a.getResourceName());
            field(json, "patternType", a.getPatternType());
            field(json, "operation", a.getOperation());
            field(json, "reason", a.getReason());
            json.append("\"count\":").append(a.getCount()).append(',');
            field(json, "windowStart", a.getWindowStart().toString());
            field(json, "windowEnd", a.getWindowEnd().toString());
        }
        json.setLength(json.length() - 1);
        return json.append('}').toString();
    }

    private static void field(StringBuilder json, String name, String value) {
        json.append('"').append(name).append("\":");
        if (value == null) {
            json.append("null");
        } else {
            json.append('"');
            escape(json, value);
            json.append('"');
        }
        json.append(',');
    }

    private static void escape(StringBuilder json, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029 || (c >= 0x7f && c <= 0x9f)) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
    }
}
