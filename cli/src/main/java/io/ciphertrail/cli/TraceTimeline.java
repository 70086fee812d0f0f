package io.ciphertrail.cli;

import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.RecordInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trace's audit events in the order things happened. Events carry the time of whoever wrote them, and those
 * clocks differ: the gate stamps a record's events with Kafka Streams' cached time of its current loop, which can be
 * earlier than a replay stamped by the command that wrote the record back. So the order is time, corrected by what
 * must come first: the gate's events about one record (one pass) stay together, passes over one partition follow
 * their offsets, and each replay comes right before the pass over the record it wrote.
 */
final class TraceTimeline {
    private static final List<AuditEventType> GATE = List.of(AuditEventType.RECORD_ACCEPTED, AuditEventType.RECORD_POLICY_WARNING,
            AuditEventType.RECORD_FORWARDED, AuditEventType.RECORD_QUARANTINED);

    private TraceTimeline() {
    }

    /** One record through the gate: the events it wrote about it, in the order it wrote them. */
    private record Pass(String topic, int partition, long offset, List<AuditEvent> events) {
        AuditEvent first() {
            return events.get(0);
        }
    }

    static List<AuditEvent> order(List<AuditEvent> events) {
        List<AuditEvent> byTime = new ArrayList<>(events);
        // At equal times, the gate's events about one record in the order the gate writes them.
        byTime.sort(Comparator.comparing(AuditEvent::getTime).thenComparing(event -> GATE.indexOf(event.getEventType())));
        Map<String, Pass> passes = new LinkedHashMap<>();
        List<AuditEvent> replays = new ArrayList<>();
        List<AuditEvent> others = new ArrayList<>();
        for (AuditEvent event : byTime) {
            RecordInfo info = event.getRecord();
            if (event.getEventType() == AuditEventType.RECORD_REPLAYED) {
                replays.add(event);
            } else if (info != null && GATE.contains(event.getEventType())) {
                passes.computeIfAbsent(info.getSourceTopic() + "-" + info.getSourcePartition() + "@" + info.getSourceOffset(),
                        key -> new Pass(info.getSourceTopic(), info.getSourcePartition(), info.getSourceOffset(), new ArrayList<>()))
                        .events().add(event);
            } else {
                others.add(event);
            }
        }
        List<Pass> ordered = new ArrayList<>(passes.values());
        // A later offset of the same partition is a later pass, whatever the clocks say (a replayed record is written after its original).
        ordered.sort(Comparator.comparing((Pass p) -> p.first().getTime()));
        for (int i = 0; i < ordered.size(); i++) {
            for (int j = i + 1; j < ordered.size(); j++) {
                Pass earlier = ordered.get(i);
                Pass later = ordered.get(j);
                if (earlier.topic().equals(later.topic()) && earlier.partition() == later.partition() && earlier.offset() > later.offset()) {
                    ordered.set(i, later);
                    ordered.set(j, earlier);
                }
            }
        }
        List<AuditEvent> timeline = new ArrayList<>();
        int replay = 0;
        for (int i = 0; i < ordered.size(); i++) {
            if (i > 0 && replay < replays.size()) {
                timeline.add(replays.get(replay++));
            }
            timeline.addAll(ordered.get(i).events());
        }
        timeline.addAll(replays.subList(replay, replays.size()));
        for (AuditEvent other : others) {
            int at = 0;
            while (at < timeline.size() && !timeline.get(at).getTime().isAfter(other.getTime())) {
                at++;
            }
            timeline.add(at, other);
        }
        return timeline;
    }
}
