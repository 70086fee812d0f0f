package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.RecordInfo;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A trace reads in the order things happened, even where the writers' clocks say otherwise. */
class TraceTimelineTest {
    private static final Instant T = Instant.parse("2026-01-01T10:00:00Z");

    @Test
    void aReplayComesBeforeItsRecheckAndTheGatesEventsStayInPassOrder() {
        AuditEvent quarantined = event("q", AuditEventType.RECORD_QUARANTINED, 5, T.plusSeconds(2));
        AuditEvent replayed = event("r", AuditEventType.RECORD_REPLAYED, 5, T.plusSeconds(3));
        // The gate stamps the re-check with its loop's cached time, earlier than the replay that caused it.
        AuditEvent accepted = event("a", AuditEventType.RECORD_ACCEPTED, 9, T.plusSeconds(1));
        AuditEvent forwarded = event("f", AuditEventType.RECORD_FORWARDED, 9, T.plusSeconds(1));

        assertThat(TraceTimeline.order(List.of(forwarded, replayed, accepted, quarantined))).extracting(AuditEvent::getId)
                .containsExactly("q", "r", "a", "f");
    }

    @Test
    void withoutReplaysTheOrderIsTime() {
        AuditEvent accepted = event("a", AuditEventType.RECORD_ACCEPTED, 1, T);
        AuditEvent forwarded = event("f", AuditEventType.RECORD_FORWARDED, 1, T.plusMillis(5));
        assertThat(TraceTimeline.order(List.of(forwarded, accepted))).extracting(AuditEvent::getId).containsExactly("a", "f");
    }

    private static AuditEvent event(String id, AuditEventType type, long offset, Instant time) {
        return AuditEvent.newBuilder().setId(id).setSource("test").setType("test").setTime(time).setEventType(type)
                .setRecord(RecordInfo.newBuilder().setTraceId("0af7651916cd43dd8448eb211c80319c").setPolicy("p")
                        .setSourceTopic("orders.ingress").setSourcePartition(0).setSourceOffset(offset).build())
                .build();
    }
}
