package io.ciphertrail.cli;

import io.ciphertrail.core.envelope.Envelope;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import io.ciphertrail.core.envelope.EnvelopeException;
import io.ciphertrail.core.envelope.RecordBinding;
import io.ciphertrail.core.envelope.TopicBinding;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.RecordInfo;
import io.ciphertrail.schemas.audit.KeyUseInfo;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * An event's whole path from its trace ID alone: produced to ingress, forwarded or quarantined by the gate (and
 * replayed), where it now sits in its egress topic, which consumer groups have read past it, and who used the key
 * encryption key its envelope names (the key service's key-use events). The gate's trail holds one record per gated
 * record, keyed by trace ID, so only the partition the trace ID lands on is read.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = "Shows an event's path from producer to consumer, from its trace ID alone.")
final class TraceCommand implements Callable<Integer> {
    @Mixin
    ClientSettings settings;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "TRACE-ID", description = "The 32-hex-digit trace ID (the middle of a traceparent header).")
    String traceId;

    @Option(names = "--audit-topic", defaultValue = PolicyServiceConfig.DEFAULT_AUDIT_TOPIC,
            description = "The audit topic, where the key service records key uses (default: ${DEFAULT-VALUE}).")
    String auditTopic;

    @Option(names = "--trail-topic", defaultValue = PolicyServiceConfig.DEFAULT_TRAIL_TOPIC,
            description = "The gate's trail topic (default: ${DEFAULT-VALUE}).")
    String trailTopic;

    @Override
    public Integer call() throws Exception {
        if (!traceId.matches("[0-9a-f]{32}")) {
            throw new IllegalArgumentException("A trace ID is 32 lower-case hex digits, got '" + traceId + "'");
        }
        Map<String, Object> admin = settings.load(LocalPlatform.ADMIN);
        List<AuditEvent> events = new ArrayList<>();
        AuditReader.readAll(admin, trailTopic, traceId.getBytes(StandardCharsets.US_ASCII), event -> {
            if (event.getRecord() != null && traceId.equals(event.getRecord().getTraceId())) {
                events.add(event);
            }
        });
        PrintWriter out = spec.commandLine().getOut();
        if (events.isEmpty()) {
            out.println("Nothing on the trail for trace " + traceId + " in " + trailTopic
                    + " (records that did not pass through the policy gate have no trail)");
            return 1;
        }
        events.sort(Comparator.comparing(AuditEvent::getTime));
        out.println("Trace " + traceId);
        Optional<RecordInfo> firstGated = events.stream().filter(e -> e.getEventType() != AuditEventType.RECORD_REPLAYED)
                .map(AuditEvent::getRecord).findFirst();
        Optional<ConsumerRecord<byte[], byte[]>> produced = firstGated.flatMap(info ->
                record(admin, new TopicPartition(info.getSourceTopic(), info.getSourcePartition()), info.getSourceOffset()));
        produced.ifPresent(record -> out.printf("  %-24s %-12s %s-%d@%d%n", java.time.Instant.ofEpochMilli(record.timestamp()), "produced",
                record.topic(), record.partition(), record.offset()));
        for (AuditEvent event : events) {
            out.printf("  %-24s %-12s %s%n", event.getTime(), stage(event), where(event.getEventType(), event.getRecord()));
        }
        List<String> topics = new ArrayList<>();
        events.forEach(event -> topics.add(event.getRecord().getDestinationTopic()));
        produced.flatMap(record -> kek(admin, record, topics)).ifPresent(kek -> keyUses(admin, kek, out));
        Optional<AuditEvent> forwarded = events.stream().filter(e -> e.getEventType() == AuditEventType.RECORD_FORWARDED
                || e.getEventType() == AuditEventType.RECORD_POLICY_WARNING).reduce((a, b) -> b);
        if (forwarded.isPresent()) {
            String egress = forwarded.get().getRecord().getDestinationTopic();
            // The gate keeps the record's timestamp, so search the egress topic from when it was produced.
            long since = produced.map(ConsumerRecord::timestamp).orElse(forwarded.get().getTime().toEpochMilli()) - 1_000;
            Optional<ConsumerRecord<byte[], byte[]>> landed = find(admin, egress, since);
            if (landed.isPresent()) {
                ConsumerRecord<byte[], byte[]> record = landed.get();
                out.printf("  %-24s %-12s %s-%d@%d%n", "", "now at", record.topic(), record.partition(), record.offset());
                for (String group : readers(admin, new TopicPartition(record.topic(), record.partition()), record.offset())) {
                    out.printf("  %-24s %-12s group %s%n", "", "consumed by", group);
                }
            }
        }
        return 0;
    }

    private static String stage(AuditEvent event) {
        return switch (event.getEventType()) {
            case RECORD_POLICY_WARNING -> "forwarded";
            default -> event.getEventType().name().replace("RECORD_", "").toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String where(AuditEventType type, RecordInfo info) {
        String gate = "by the gate from " + info.getSourceTopic() + "-" + info.getSourcePartition() + "@" + info.getSourceOffset()
                + (info.getPolicy().isEmpty() ? "" : " (policy " + info.getPolicy() + ")");
        String warnings = info.getWarnings().isEmpty() ? "" : ", despite " + String.join(", ", info.getWarnings().stream()
                .map(w -> "permissive rule " + w.getRule() + ": " + w.getReason()).toList());
        return switch (type) {
            case RECORD_FORWARDED, RECORD_POLICY_WARNING -> gate + " to " + info.getDestinationTopic() + warnings;
            case RECORD_QUARANTINED -> gate + ": " + info.getReason() + ": " + info.getDetail() + warnings;
            case RECORD_REPLAYED -> "from quarantine offset " + info.getSourceOffset() + " back to " + info.getDestinationTopic();
            case RECORD_ACCEPTED -> gate;
            default -> "";
        };
    }

    /**
     * The KEK version that wrapped the record's data key. Envelopes of version 2 name the KEK alias by fingerprint
     * only: it is the alias of the topic the record is bound to, one of those it was forwarded to or read from.
     */
    private static Optional<KekRef> kek(Map<String, Object> settings, ConsumerRecord<byte[], byte[]> record, List<String> forwardedTo) {
        if (!Envelope.hasMagic(record.value())) {
            return Optional.empty();
        }
        try {
            RecordBinding bound = Envelope.parse(record.value(), record.topic()).binding();
            EnvelopeConfig envelope = new EnvelopeConfig(settings);
            List<String> topics = new ArrayList<>(forwardedTo);
            topics.add(record.topic());
            for (String topic : topics) {
                TopicBinding expected = topic == null ? null : envelope.kekAliases().binding(topic);
                if (expected != null && bound.boundTo(expected) && bound.wrappedUnder(expected)) {
                    return Optional.of(new KekRef(expected.kekAlias(), bound.kekVersion()));
                }
            }
        } catch (EnvelopeException e) {
            // an unreadable envelope has no key to follow
        }
        return Optional.empty();
    }

    /**
     * Who generated and who unwrapped (or was refused) data keys under the record's KEK version: the key
     * service audits by alias and version, not per data key, so this is everyone who could read the record.
     */
    private void keyUses(Map<String, Object> admin, KekRef kek, PrintWriter out) {
        List<AuditEvent> uses = new ArrayList<>();
        AuditReader.readAll(admin, auditTopic, kek.alias().getBytes(StandardCharsets.UTF_8), event -> {
            KeyUseInfo use = event.getKeyUse();
            if (use != null && use.getAlias().equals(kek.alias()) && use.getVersion() == kek.version()) {
                uses.add(event);
            }
        });
        if (uses.isEmpty()) {
            return;
        }
        out.printf("  %-24s %-12s %s%n", "", "key", kek + " (its uses, from the key service's audit trail):");
        Map<String, Long> counts = new java.util.TreeMap<>();
        for (AuditEvent event : uses) {
            KeyUseInfo use = event.getKeyUse();
            String what = use.getOperation() + " by " + use.getPrincipal() + " " + use.getDecision()
                    + (use.getDryRun() ? " (DRY_RUN)" : "") + (use.getResult().equals("OK") || use.getResult().equals("DENIED") ? "" : " " + use.getResult());
            counts.merge(what, use.getCount(), Long::sum);
        }
        counts.forEach((what, count) -> out.printf("  %-24s %-12s %s (%d)%n", "", "", what, count));
    }

    /** The record at an exact position, if still there. */
    private static Optional<ConsumerRecord<byte[], byte[]>> record(Map<String, Object> settings, TopicPartition partition, long offset) {
        try (KafkaConsumer<byte[], byte[]> consumer = AuditReader.consumer(settings)) {
            consumer.assign(List.of(partition));
            consumer.seek(partition, offset);
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(5)).records(partition)) {
                if (record.offset() == offset) {
                    return Optional.of(record);
                }
            }
            return Optional.empty();
        }
    }

    /** The record with this trace in the egress topic, looking at records timestamped from {@code since} on. */
    private Optional<ConsumerRecord<byte[], byte[]>> find(Map<String, Object> settings, String topic, long since) {
        try (KafkaConsumer<byte[], byte[]> consumer = AuditReader.consumer(settings)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> from = new HashMap<>();
            partitions.forEach(p -> from.put(p, since));
            Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(from);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            for (TopicPartition partition : partitions) {
                OffsetAndTimestamp first = start.get(partition);
                consumer.seek(partition, first == null ? end.get(partition) : first.offset());
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (EnvelopeDecryptor.traceId(record.headers(), record.value()).filter(traceId::equals).isPresent()) {
                        return Optional.of(record);
                    }
                }
            }
            return Optional.empty();
        }
    }

    /** Consumer groups whose committed offset on the partition is past the record. */
    private static List<String> readers(Map<String, Object> settings, TopicPartition partition, long offset) throws Exception {
        List<String> groups = new ArrayList<>();
        try (Admin admin = Admin.create(TlsConfig.secureClientConfigs(settings))) {
            for (ConsumerGroupListing listing : admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS)) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(listing.groupId())
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                OffsetAndMetadata position = committed.get(partition);
                if (position != null && position.offset() > offset) {
                    groups.add(listing.groupId());
                }
            }
        }
        return groups;
    }
}
