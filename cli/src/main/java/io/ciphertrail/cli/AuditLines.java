package io.ciphertrail.cli;

import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuthorizationInfo;
import io.ciphertrail.schemas.audit.KeyUseInfo;
import io.ciphertrail.schemas.audit.RecordInfo;

/** One readable line per audit event, for {@code audit tail}, {@code trace} and the demo. */
final class AuditLines {
    private AuditLines() {
    }

    static String line(AuditEvent event) {
        StringBuilder line = new StringBuilder().append(event.getTime()).append("  ").append(event.getEventType());
        AuthorizationInfo authorization = event.getAuthorization();
        if (authorization != null) {
            line.append("  principal=").append(authorization.getPrincipal())
                    .append(" client=").append(authorization.getClientAddress())
                    .append(" listener=").append(authorization.getListener())
                    .append(" (").append(authorization.getSecurityProtocol()).append(')')
                    .append(" request=").append(authorization.getRequestType())
                    .append(" ").append(authorization.getOperation()).append(' ')
                    .append(authorization.getResourceType()).append(':').append(authorization.getResourceName())
                    .append(" decision=").append(authorization.getDecision())
                    .append(" count=").append(authorization.getCount());
        }
        RecordInfo record = event.getRecord();
        if (record != null) {
            line.append("  trace=").append(record.getTraceId().isEmpty() ? "-" : record.getTraceId())
                    .append(" policy=").append(record.getPolicy().isEmpty() ? "-" : record.getPolicy())
                    .append(" from=").append(record.getSourceTopic()).append('-').append(record.getSourcePartition())
                    .append('@').append(record.getSourceOffset());
            if (record.getDestinationTopic() != null) {
                line.append(" to=").append(record.getDestinationTopic());
            }
            if (record.getReason() != null) {
                line.append(" rule=").append(record.getRule()).append(" reason=").append(record.getReason());
            }
            if (record.getWarnings().size() > 1) {
                line.append(" warnings=").append(String.join(",", record.getWarnings().stream()
                        .map(w -> w.getRule() + ":" + w.getReason()).toList()));
            }
        }
        KeyUseInfo key = event.getKeyUse();
        if (key != null) {
            line.append("  principal=").append(key.getPrincipal())
                    .append(" client=").append(key.getClientAddress())
                    .append(" operation=").append(key.getOperation())
                    .append(" key=").append(key.getAlias()).append(key.getVersion() > 0 ? " v" + key.getVersion() : "")
                    .append(" decision=").append(key.getDecision()).append(key.getDryRun() ? " (DRY_RUN, not enforced)" : "")
                    .append(" rule=").append(key.getRule().isEmpty() ? "-" : key.getRule())
                    .append(" result=").append(key.getResult())
                    .append(" count=").append(key.getCount());
        }
        return line.toString();
    }
}
