package io.ciphertrail.bench.soak;

import io.ciphertrail.bench.report.Csv;
import io.ciphertrail.bench.report.Charts;
import io.ciphertrail.faults.DeliveryReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a soak run leaves in {@code --out}: {@code summary.md} (the counts and, for each fault, the worst
 * end-to-end latency of the records sent around it), {@code seconds.csv} (records received, p99 and
 * worst latency per second), {@code faults.csv}, and {@code soak.png} (throughput and p99 per second,
 * faults shaded). The summary is printed too.
 */
final class SoakReport {
    /** Records sent this long before a fault began count as sent around it (they may be in flight when it hits). */
    static final long BEFORE_MILLIS = 5_000;
    /** ... and this long after it ended (the cluster is whole, but clients may still be catching up). */
    static final long AFTER_MILLIS = 15_000;

    private SoakReport() {
    }

    static void write(Soak.Settings settings, DeliveryReport report, List<Fault> faults, List<LatencyTimeline.Second> seconds,
                      LatencyTimeline timeline, long startMillis) {
        long quarantined = report.deliveredByTopic().getOrDefault(SoakPlatform.GATE.quarantine(), 0L);
        long consumed = report.deliveredByTopic().getOrDefault(SoakPlatform.GATE.egress(), 0L);
        List<String> summary = new ArrayList<>();
        summary.add("# Soak: " + settings.minutes() + " minutes, a fault every " + settings.faultEverySeconds() + " s");
        summary.add("");
        summary.add(String.format(Locale.ROOT, "%,.0f records/s of %d bytes through the policy gate on three TLS-only nodes "
                + "(one in %d unencrypted, for quarantine); seed %d.", settings.rate(), settings.valueBytes(), settings.legacyEvery(), settings.seed()));
        summary.add("");
        summary.add("| sent | acknowledged | failed (reported) | consumed (egress) | quarantined | lost | duplicated |");
        summary.add("|---:|---:|---:|---:|---:|---:|---:|");
        summary.add(String.format(Locale.ROOT, "| %,d | %,d | %,d | %,d | %,d | %d | %d |", report.sent(), report.acknowledged(), report.failed(),
                consumed, quarantined, report.lost().size(), report.duplicated().size()));
        summary.add("");
        summary.add("Lost: acknowledged records in neither egress nor quarantine. Duplicated: records found at two positions"
                + " (egress twice, or egress and quarantine).");
        summary.add("");
        summary.add("| # | fault | at (s) | lasted (s) | worst end-to-end latency around it (ms) | what happened |");
        summary.add("|---:|---|---:|---:|---:|---|");
        List<List<?>> faultRows = new ArrayList<>();
        faultRows.add(List.of("number", "fault", "start_s", "end_s", "worst_latency_ms", "detail"));
        for (int i = 0; i < faults.size(); i++) {
            Fault fault = faults.get(i);
            long next = i + 1 < faults.size() ? faults.get(i + 1).startMillis() : Long.MAX_VALUE;
            long worst = timeline.worstSentBetween(fault.startMillis() - BEFORE_MILLIS, Math.min(fault.endMillis() + AFTER_MILLIS, next));
            double at = (fault.startMillis() - startMillis) / 1000.0;
            double lasted = (fault.endMillis() - fault.startMillis()) / 1000.0;
            summary.add(String.format(Locale.ROOT, "| %d | %s | %.0f | %.0f | %,d | %s |", i + 1, fault.kind().label(), at, lasted, worst, fault.detail()));
            faultRows.add(List.of(i + 1, fault.kind().name(), at, at + lasted, worst, fault.detail()));
        }
        summary.add("");
        summary.add("Worst latency around a fault: the slowest record among those sent from " + BEFORE_MILLIS / 1000
                + " s before it began to " + AFTER_MILLIS / 1000 + " s after it ended, producer send to consumer receipt through the gate.");

        List<List<?>> secondRows = new ArrayList<>();
        secondRows.add(List.of("second", "received", "p99_ms", "max_ms"));
        seconds.forEach(s -> secondRows.add(List.of(s.second(), s.records(), s.p99Millis(), s.maxMillis())));
        try {
            Files.write(settings.out().resolve("summary.md"), summary, StandardCharsets.UTF_8);
            writeCsv(settings.out().resolve("faults.csv"), faultRows);
            writeCsv(settings.out().resolve("seconds.csv"), secondRows);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the soak's results to " + settings.out() + ": " + e.getMessage(), e);
        }
        chart(settings, report, faults, seconds, startMillis, settings.out().resolve("soak.png"));
        summary.forEach(System.out::println);
        if (!report.lost().isEmpty() || !report.duplicated().isEmpty()) {
            System.out.println();
            System.out.println("NOT CLEAN: " + report);
        }
        System.out.println();
        System.out.println("Results in " + settings.out());
    }

    private static void chart(Soak.Settings settings, DeliveryReport report, List<Fault> faults, List<LatencyTimeline.Second> seconds,
                              long startMillis, Path file) {
        Map<String, List<double[]>> throughput = new LinkedHashMap<>();
        Map<String, List<double[]>> latency = new LinkedHashMap<>();
        List<double[]> received = new ArrayList<>();
        List<double[]> p99 = new ArrayList<>();
        for (LatencyTimeline.Second second : seconds) {
            received.add(new double[] {second.second(), second.records()});
            p99.add(new double[] {second.second(), second.p99Millis()});
        }
        throughput.put("records received per second", received);
        latency.put("p99 end-to-end latency (ms)", p99);
        List<Charts.Interval> intervals = new ArrayList<>();
        for (int i = 0; i < faults.size(); i++) {
            Fault fault = faults.get(i);
            intervals.add(new Charts.Interval((fault.startMillis() - startMillis) / 1000.0, (fault.endMillis() - startMillis) / 1000.0,
                    (i + 1) + ". " + fault.kind().label(), fault.kind().ordinal()));
        }
        String subtitle = String.format(Locale.ROOT, "%,d acknowledged, %,d consumed, %,d quarantined, %d lost, %d duplicated; shaded: faults",
                report.acknowledged(), report.deliveredByTopic().getOrDefault(SoakPlatform.GATE.egress(), 0L),
                report.deliveredByTopic().getOrDefault(SoakPlatform.GATE.quarantine(), 0L), report.lost().size(), report.duplicated().size());
        Charts.save(Charts.timeline("Soak: secure traffic through the gate on three nodes, a fault every "
                        + settings.faultEverySeconds() + " s", subtitle, "seconds since start", "records/s", throughput,
                "ms (log scale)", latency, true, intervals), file);
    }

    private static void writeCsv(Path file, List<List<?>> rows) throws IOException {
        StringBuilder text = new StringBuilder();
        rows.forEach(row -> text.append(Csv.line(row)).append('\n'));
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
