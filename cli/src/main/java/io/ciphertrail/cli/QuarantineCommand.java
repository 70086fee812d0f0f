package io.ciphertrail.cli;

import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.policy.quarantine.OriginalReference;
import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.quarantine.QuarantinedRecord;
import io.ciphertrail.policy.quarantine.ReplayRules;
import io.ciphertrail.policy.rules.PolicyTopic;
import io.ciphertrail.policy.rules.ReservedTopics;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Records the gate quarantined: list, show, replay. */
@Command(name = "quarantine", mixinStandardHelpOptions = true,
        description = "Lists and shows quarantined records, and replays them to their ingress topic once the cause is fixed.",
        subcommands = {QuarantineCommand.ListRecords.class, QuarantineCommand.Show.class, QuarantineCommand.Replay.class})
final class QuarantineCommand {

    abstract static class QuarantineTopicCommand {
        @Mixin
        ClientSettings settings;

        @Option(names = "--quarantine-topic", defaultValue = QuarantineTopic.DEFAULT_NAME, description = "Quarantine topic (default: ${DEFAULT-VALUE}).")
        String topic;

        @Spec
        CommandSpec spec;

        List<QuarantinedRecord> read(Predicate<QuarantinedRecord> filter) {
            return QuarantineTopic.read(settings.load(LocalPlatform.ADMIN), topic, filter);
        }
    }

    /** Which quarantined records: by trace ID, by quarantine offset, or by where they came from. */
    static final class Selection {
        @Option(names = "--trace", paramLabel = "TRACE-ID", description = "Records with this trace ID.")
        String traceId;

        @Option(names = "--offset", paramLabel = "N", description = "The record at this offset of the quarantine topic (with --partition).")
        Long offset;

        @Option(names = "--partition", paramLabel = "P", defaultValue = "0",
                description = "With --offset: the quarantine topic's partition (default: ${DEFAULT-VALUE}).")
        int partition;

        @Option(names = "--source", paramLabel = "TOPIC", description = "Records quarantined from this ingress topic (with --from-offset/--to-offset).")
        String source;

        @Option(names = "--from-offset", paramLabel = "N", description = "With --source: first source offset (inclusive).")
        Long from;

        @Option(names = "--to-offset", paramLabel = "N", description = "With --source: last source offset (inclusive).")
        Long to;

        Predicate<QuarantinedRecord> predicate() {
            if (traceId != null) {
                return q -> q.traceId().equals(Optional.of(traceId));
            }
            if (offset != null) {
                return q -> q.record().partition() == partition && q.record().offset() == offset;
            }
            if (source != null) {
                long low = from == null ? Long.MIN_VALUE : from;
                long high = to == null ? Long.MAX_VALUE : to;
                return q -> source.equals(q.reason().sourceTopic()) && q.reason().sourceOffset() >= low && q.reason().sourceOffset() <= high;
            }
            throw new IllegalArgumentException("Choose records with --trace, --offset or --source");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "One line per quarantined record, oldest first.")
    static final class ListRecords extends QuarantineTopicCommand implements Callable<Integer> {
        @Option(names = "--reason", paramLabel = "CODE", description = "Only records quarantined for this reason (e.g. NOT_ENCRYPTED).")
        String reason;

        @Override
        public Integer call() {
            List<QuarantinedRecord> records = read(q -> reason == null || reason.equals(q.reason().code()));
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-10s %-24s %-20s %-10s %-22s %-32s %s%n", "P@OFFSET", "QUARANTINED", "POLICY", "RULE", "REASON", "TRACE", "FROM");
            for (QuarantinedRecord q : records) {
                out.printf("%-10s %-24s %-20s %-10s %-22s %-32s %s%n", q.record().partition() + "@" + q.record().offset(),
                        Instant.ofEpochMilli(q.reason().time()), blank(q.reason().policy()), q.reason().rule(), q.reason().code(),
                        q.traceId().orElse("-"), q.origin());
            }
            out.println(records.size() + " quarantined records in " + topic);
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Everything about quarantined records: reason, origin, headers, sizes.")
    static final class Show extends QuarantineTopicCommand implements Callable<Integer> {
        @Mixin
        Selection selection;

        @Option(names = "--show-value", description = "Also print the value (an unencrypted record's value is plaintext).")
        boolean showValue;

        @Override
        public Integer call() {
            List<QuarantinedRecord> records = read(selection.predicate());
            PrintWriter out = spec.commandLine().getOut();
            if (records.isEmpty()) {
                out.println("No such quarantined record in " + topic);
                return 1;
            }
            for (QuarantinedRecord q : records) {
                out.println("Quarantine offset " + q.record().offset() + " (partition " + q.record().partition() + ")");
                out.println("  reason:    " + q.reason().code() + " (rule " + q.reason().rule() + ", policy " + blank(q.reason().policy()) + ")");
                out.println("  detail:    " + q.reason().detail());
                out.println("  from:      " + q.reason().sourceTopic() + " partition " + q.reason().sourcePartition() + " offset " + q.reason().sourceOffset());
                out.println("  when:      " + Instant.ofEpochMilli(q.reason().time()) + " (record timestamp " + Instant.ofEpochMilli(q.record().timestamp()) + ")");
                out.println("  trace:     " + q.traceId().orElse("-"));
                out.println("  key:       " + (q.record().key() == null ? "null" : q.record().key().length + " bytes"));
                if (q.reference().isPresent()) {
                    OriginalReference original = q.reference().get();
                    out.println("  value:     not copied: a reference to the original (" + original.recordBytes() + " bytes; value "
                            + original.valueBytes() + " bytes, SHA-256 " + original.valueSha256() + ")");
                    out.println("  original:  " + q.origin() + ", readable there until that topic's retention removes it;"
                            + " 'quarantine replay' reads it from there");
                } else {
                    out.println("  value:     " + (q.record().value() == null ? "null" : q.record().value().length + " bytes"));
                }
                for (Header header : q.originalHeaders()) {
                    out.println("  header:    " + header.key() + " (" + (header.value() == null ? "null" : header.value().length + " bytes") + ")");
                }
                if (showValue && q.reference().isEmpty() && q.record().value() != null) {
                    out.println("  content:   " + new String(q.record().value(), StandardCharsets.UTF_8));
                }
            }
            return 0;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"Puts quarantined records back on their ingress topic, exactly as they arrived, keeping their trace ID.",
                "Only the gate's own copies of records still in a topic the gate reads are replayed: each is checked against",
                "the original at its topic, partition and offset, and the original is what is written. The gate checks them",
                "again; each replay is audited (RECORD_REPLAYED)."})
    static final class Replay extends QuarantineTopicCommand implements Callable<Integer> {
        @Mixin
        Selection selection;

        @Option(names = "--trail-topic", defaultValue = PolicyServiceConfig.DEFAULT_TRAIL_TOPIC,
                description = "The gate's trail topic, where each replay is recorded (default: ${DEFAULT-VALUE}).")
        String trailTopic;

        @Option(names = "--ingress-pattern", defaultValue = ".+\\.ingress",
                description = "The topics the gate reads (its ciphertrail.gate.ingress.pattern); replay writes only there (default: ${DEFAULT-VALUE}).")
        Pattern ingressPattern;

        @Override
        public Integer call() {
            ReservedTopics reserved = new ReservedTopics(List.of(topic, trailTopic, PolicyServiceConfig.DEFAULT_AUDIT_TOPIC, PolicyTopic.DEFAULT_NAME,
                    PolicyServiceConfig.DEFAULT_ALERTS_TOPIC, PolicyServiceConfig.DEFAULT_BLOCKS_TOPIC), PolicyServiceConfig.DEFAULT_APPLICATION_ID);
            QuarantineTopic.ReplayResult result = QuarantineTopic.replay(settings.load(LocalPlatform.ADMIN),
                    new ReplayRules(topic, trailTopic, ingressPattern, reserved), selection.predicate(),
                    "ciphertrail://cli/" + System.getProperty("user.name", "operator"));
            PrintWriter out = spec.commandLine().getOut();
            for (QuarantinedRecord q : result.replayed()) {
                out.println("Replayed quarantine " + q.record().partition() + "@" + q.record().offset() + " to " + q.reason().sourceTopic()
                        + " (trace " + q.traceId().orElse("-") + ")");
            }
            for (QuarantineTopic.Refusal refusal : result.refused()) {
                out.println("Refused quarantine " + refusal.record().record().partition() + "@" + refusal.record().record().offset()
                        + ": " + refusal.reason());
            }
            if (result.replayed().isEmpty() && result.refused().isEmpty()) {
                out.println("No quarantined record matched; nothing replayed");
            }
            return result.refused().isEmpty() && !result.replayed().isEmpty() ? 0 : 1;
        }
    }

    static String blank(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }
}
