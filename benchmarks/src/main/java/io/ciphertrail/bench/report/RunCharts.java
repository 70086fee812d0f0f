package io.ciphertrail.bench.report;

import java.awt.Paint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The charts of a run: throughput and latency per scenario (bars are medians over the rounds, whiskers
 * half the spread between the rounds' extremes, as in the noise table), and the per-second publish p99
 * timeline of {@code tls} and {@code tls+envelope}, which shows a stall where a percentile only hints at it.
 */
final class RunCharts {
    private static final List<String> TIMELINE_SCENARIOS = List.of(Results.BASELINE, Report.ENVELOPE);
    private static final float[][] ROUND_DASHES = {null, {8f, 4f}, {2f, 3f}, {12f, 3f, 2f, 3f}};

    private RunCharts() {
    }

    static void throughput(Results results, Path file) {
        Map<String, Map<String, Charts.Bar>> bars = new LinkedHashMap<>();
        bars.put("producer", bars(results, "producer_throughput_mb", "producer_throughput", true));
        bars.put("consumer", bars(results, "consumer_throughput_mb", "consumer_throughput", true));
        Charts.save(Charts.bars("Maximum throughput, 1 KiB records, one partition",
                "MB/s of payload, median over the rounds; label: ratio to tls; whiskers: half the rounds' spread",
                "MB/s", bars, false), file);
    }

    static void latency(Results results, String rate, Path file) {
        Map<String, Map<String, Charts.Bar>> bars = new LinkedHashMap<>();
        bars.put("publish p50", bars(results, "publish_latency_p50", null, false));
        bars.put("publish p99", bars(results, "publish_latency_p99", null, false));
        bars.put("end-to-end p50", bars(results, "e2e_latency_p50", null, false));
        bars.put("end-to-end p99", bars(results, "e2e_latency_p99", null, false));
        Charts.save(Charts.bars("Latency at a fixed rate", (rate.isEmpty() ? "" : rate + "; ")
                        + "ms, log scale, median over the rounds (each round in summary.md)", "ms", bars, true), file);
    }

    /** The p99 of publish latency in each second of each round's measured window. */
    static boolean timeline(Path timelineCsv, Path file) {
        if (!Files.exists(timelineCsv)) {
            return false;
        }
        List<List<String>> table = Csv.read(timelineCsv);
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        Map<String, Paint> paints = new LinkedHashMap<>();
        Map<String, float[]> dashes = new LinkedHashMap<>();
        for (List<String> row : table.subList(Math.min(1, table.size()), table.size())) {
            String scenario = row.get(1);
            int index = TIMELINE_SCENARIOS.indexOf(scenario);
            if (index < 0 || row.get(3).isEmpty()) {
                continue;
            }
            int round = Integer.parseInt(row.get(0));
            String name = scenario + ", round " + round;
            series.computeIfAbsent(name, n -> new ArrayList<>()).add(new double[] {Double.parseDouble(row.get(2)), Double.parseDouble(row.get(3))});
            paints.put(name, Charts.PALETTE[index]);
            dashes.put(name, ROUND_DASHES[(round - 1) % ROUND_DASHES.length]);
        }
        if (series.isEmpty()) {
            return false;
        }
        Charts.save(Charts.lines("Publish latency p99, second by second", "each round's measured window at the common fixed rate;"
                        + " a stall shows as a spike in one second", "second of the measured window", "publish p99 in that second, ms",
                series, paints, dashes), file);
        return true;
    }

    /** Bars of {@code metric} per scenario; labelled with the ratio to tls of {@code ratioMetric}, else the value. */
    private static Map<String, Charts.Bar> bars(Results results, String metric, String ratioMetric, boolean whiskers) {
        Map<String, Charts.Bar> bars = new LinkedHashMap<>();
        for (String scenario : results.scenarios()) {
            results.get(scenario, metric).ifPresent(row -> {
                double ratio = ratioMetric == null ? Double.NaN : results.get(scenario, ratioMetric).map(Results.Row::ratio).orElse(Double.NaN);
                String label = !Double.isNaN(ratio) ? String.format(Locale.ROOT, "%.2f", ratio)
                        : row.value() >= 10 ? String.format(Locale.ROOT, "%.0f", row.value()) : String.format(Locale.ROOT, "%.2f", row.value());
                bars.put(scenario, new Charts.Bar(row.value(), whiskers && row.runs() > 1 ? (row.max() - row.min()) / 2 : Double.NaN, label));
            });
        }
        return bars;
    }
}
