package io.ciphertrail.trust.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.Decision;
import io.ciphertrail.schemas.audit.KeyUseInfo;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The key-use section of the {@link AuditTrail}: request threads only {@link #record count}; each window's counts
 * become {@link AuditEvent}s with a {@code keyUse} section, keyed by alias so one key's events stay in order.
 */
public final class KeyUseAudit implements AuditTrail.Section {
    /** CloudEvents {@code type} of key-use events. */
    public static final String KEY_USE_TYPE = "io.ciphertrail.trust/key-use";

    private final AuditAggregator<KeyUse> aggregator;

    public KeyUseAudit(AuditTrail trail) {
        this.aggregator = trail.aggregator();
        trail.add(this);
    }

    /** Counts one operation. Called on request threads: never blocks on I/O. */
    public void record(KeyUse use) {
        aggregator.record(use);
    }

    @Override
    public List<AuditTrail.Entry> drain(String source) {
        return aggregator.drain().stream().map(aggregate -> {
            AuditEvent event = event(aggregate, source);
            return new AuditTrail.Entry(aggregate.key().alias().getBytes(StandardCharsets.UTF_8), event, jsonLine(event));
        }).toList();
    }

    static AuditEvent event(AuditAggregator.Aggregate<KeyUse> aggregate, String source) {
        KeyUse use = aggregate.key();
        KeyUseInfo info = KeyUseInfo.newBuilder()
                .setPrincipal(use.principal())
                .setClientAddress(use.clientAddress())
                .setOperation(use.operation())
                .setPermission(use.permission())
                .setAlias(use.alias())
                .setVersion(use.version())
                .setDecision(use.allowed() && !use.dryRun() ? Decision.ALLOWED : Decision.DENIED)
                .setDryRun(use.dryRun())
                .setRule(use.rule())
                .setReason(use.reason())
                .setResult(use.result())
                .setCount(aggregate.count())
                .setWindowStart(Instant.ofEpochMilli(aggregate.firstMs()))
                .setWindowEnd(Instant.ofEpochMilli(aggregate.lastMs()))
                .build();
        AuditEventType type = !use.allowed() ? AuditEventType.KEY_USE_DENIED
                : use.dryRun() ? AuditEventType.KEY_USE_DRY_RUN_DENIED : AuditEventType.KEY_USE_ALLOWED;
        return AuditEvent.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setSource(source)
                .setType(KEY_USE_TYPE)
                .setTime(Instant.ofEpochMilli(aggregate.lastMs()))
                .setSubject("crn:///kms/key=" + use.alias() + (use.version() > 0 ? "/version=" + use.version() : ""))
                .setEventType(type)
                .setKeyUse(info)
                .build();
    }

    /** One line of JSON; values callers chose (aliases) are escaped by the JSON writer, so no one can forge log lines. */
    static String jsonLine(AuditEvent event) {
        KeyUseInfo k = event.getKeyUse();
        ObjectNode line = AuditTrail.jsonHeader(event)
                .put("decision", k.getDecision().name())
                .put("dryRun", k.getDryRun())
                .put("principal", k.getPrincipal())
                .put("clientAddress", k.getClientAddress())
                .put("operation", k.getOperation())
                .put("permission", k.getPermission())
                .put("alias", k.getAlias())
                .put("version", k.getVersion())
                .put("rule", k.getRule())
                .put("reason", k.getReason())
                .put("result", k.getResult())
                .put("count", k.getCount())
                .put("windowStart", k.getWindowStart().toString())
                .put("windowEnd", k.getWindowEnd().toString());
        return line.toString();
    }

}
