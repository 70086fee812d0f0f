package io.ciphertrail.trust.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.Decision;
import io.ciphertrail.schemas.audit.IdentityInfo;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The identity section of the {@link AuditTrail}: every certificate the CA issues or refuses and every administrator's
 * act (token created, identity barred or unbarred) becomes an {@link AuditEvent} with an {@code identity} section,
 * keyed by the identity so its events stay in order. Never a token, a key or a request's content.
 */
public final class IdentityAudit implements AuditTrail.Section {
    /** CloudEvents {@code type} of identity events. */
    public static final String IDENTITY_TYPE = "io.ciphertrail.trust/identity";

    private final AuditAggregator<IdentityEvent> aggregator;

    public IdentityAudit(AuditTrail trail) {
        this.aggregator = trail.aggregator();
        trail.add(this);
    }

    /** Counts one event. Called on request threads: never blocks on I/O. */
    public void record(IdentityEvent event) {
        aggregator.record(event);
    }

    @Override
    public List<AuditTrail.Entry> drain(String source) {
        return aggregator.drain().stream().map(aggregate -> {
            AuditEvent event = event(aggregate, source);
            return new AuditTrail.Entry(aggregate.key().identity().getBytes(StandardCharsets.UTF_8), event, jsonLine(event));
        }).toList();
    }

    static AuditEvent event(AuditAggregator.Aggregate<IdentityEvent> aggregate, String source) {
        IdentityEvent e = aggregate.key();
        IdentityInfo info = IdentityInfo.newBuilder()
                .setPrincipal(e.principal())
                .setClientAddress(e.clientAddress())
                .setOperation(e.operation())
                .setIdentity(e.identity())
                .setSpiffeId(e.spiffeId())
                .setDecision(e.allowed() ? Decision.ALLOWED : Decision.DENIED)
                .setResult(e.result())
                .setReason(e.reason())
                .setSerial(e.serial())
                .setNotAfter(e.notAfter() == 0 ? null : Instant.ofEpochMilli(e.notAfter()))
                .setTokenId(e.tokenId())
                .setKey(e.key())
                .setIssuer(e.issuer())
                .setCount(aggregate.count())
                .setWindowStart(Instant.ofEpochMilli(aggregate.firstMs()))
                .setWindowEnd(Instant.ofEpochMilli(aggregate.lastMs()))
                .build();
        return AuditEvent.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setSource(source)
                .setType(IDENTITY_TYPE)
                .setTime(Instant.ofEpochMilli(aggregate.lastMs()))
                .setSubject(e.spiffeId().isEmpty() ? "crn:///identity=" + e.identity() : e.spiffeId())
                .setEventType(type(e))
                .setIdentity(info)
                .build();
    }

    private static AuditEventType type(IdentityEvent e) {
        if (!e.allowed()) {
            return AuditEventType.CERTIFICATE_REFUSED;
        }
        return switch (e.operation()) {
            case "CREATE_TOKEN" -> AuditEventType.BOOTSTRAP_TOKEN_CREATED;
            case "BAR" -> AuditEventType.IDENTITY_BARRED;
            case "UNBAR" -> AuditEventType.IDENTITY_UNBARRED;
            default -> AuditEventType.CERTIFICATE_ISSUED;
        };
    }

    static String jsonLine(AuditEvent event) {
        IdentityInfo i = event.getIdentity();
        ObjectNode line = AuditTrail.jsonHeader(event)
                .put("decision", i.getDecision().name())
                .put("principal", i.getPrincipal())
                .put("clientAddress", i.getClientAddress())
                .put("operation", i.getOperation())
                .put("identity", i.getIdentity())
                .put("spiffeId", i.getSpiffeId())
                .put("result", i.getResult())
                .put("reason", i.getReason())
                .put("serial", i.getSerial())
                .put("notAfter", i.getNotAfter() == null ? "" : i.getNotAfter().toString())
                .put("tokenId", i.getTokenId())
                .put("key", i.getKey())
                .put("issuer", i.getIssuer())
                .put("count", i.getCount())
                .put("windowStart", i.getWindowStart().toString())
                .put("windowEnd", i.getWindowEnd().toString());
        return line.toString();
    }
}
