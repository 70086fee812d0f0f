package io.ciphertrail.bench.report;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.DoubleFunction;

/**
 * Turns a results folder ({@code rounds.csv}, {@code micro.csv}, {@code run.properties}) into
 * {@code summary.csv}, {@code summary.md}, {@code throughput.png} and {@code latency.png}.
 * Usage: {@code Report <results folder>}.
 */
public final class Report {
    static final String ENVELOPE = "tls+envelope";
    static final String PEER = "tls+kroxylicious";
    private static final String[] PERCENTILES = {"p50", "p99", "p999"};
    static final List<String> MICRO_SIZES = List.of("100", "1024", "16384", "262144");

    private final Results results;
    private final Properties run;

    Report(Results results, Properties run) {
        this.results = results;
        this.run = run;
    }

    public static void main(String[] args) throws IOException {
        if (args.length > 0 && args[0].equals("--compare")) {
            JdkComparison.write(Path.of(args[1]), java.util.Arrays.stream(args, 2, args.length).map(Path::of).toList());
            return;
        }
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        Properties run = new Properties();
        Path runFile = dir.resolve("run.properties");
        if (Files.exists(runFile)) {
            try (Reader reader = Files.newBufferedReader(runFile, StandardCharsets.UTF_8)) {
                run.load(reader);
            }
        }
        Results results = Results.read(dir.resolve("rounds.csv"), dir.resolve("micro.csv"));
        results.writeCsv(dir.resolve("summary.csv"));
        Report report = new Report(results, run);
        Files.writeString(dir.resolve("summary.md"), report.markdown(), StandardCharsets.UTF_8);
        if (!results.scenarios().isEmpty()) {
            RunCharts.throughput(results, dir.resolve("throughput.png"));
            RunCharts.latency(results, run.getProperty("latency_rate", ""), dir.resolve("latency.png"));
            RunCharts.timeline(dir.resolve("timeline.csv"), dir.resolve("timeline.png"));
        }
        System.out.println("Wrote " + dir.resolve("summary.md") + ", summary.csv and the charts");
    }

    /** A target and whether the measurements meet it. */
    record Target(String name, String measured, Boolean met) {
    }

    List<Target> targets() {
        List<Target> targets = new ArrayList<>();
        ratioTarget(targets, "Producer throughput of tls+envelope ≥ 95% of tls", "producer_throughput", 0.95);
        ratioTarget(targets, "Consumer throughput of tls+envelope ≥ 90% of tls", "consumer_throughput", 0.90);
        double added = results.value(ENVELOPE, "publish_latency_p99") - results.value(Results.BASELINE, "publish_latency_p99");
        targets.add(new Target("Added publish latency p99 of tls+envelope over tls < 1 ms at half load (median)",
                Double.isNaN(added) ? "not measured" : String.format(Locale.ROOT, "%+.2f ms (%.2f vs %.2f ms)%s", added,
                        results.value(ENVELOPE, "publish_latency_p99"), results.value(Results.BASELINE, "publish_latency_p99"),
                        saturatedNote(ENVELOPE) + saturatedNote(Results.BASELINE)),
                Double.isNaN(added) ? null : added < 1.0));
        Map<Integer, Double> envelopeRounds = results.byRound(ENVELOPE, "publish_latency_p99");
        Map<Integer, Double> base = results.byRound(Results.BASELINE, "publish_latency_p99");
        List<String> perRound = new ArrayList<>();
        double worst = Double.NEGATIVE_INFINITY;
        for (Map.Entry<Integer, Double> round : envelopeRounds.entrySet()) {
            Double tls = base.get(round.getKey());
            if (tls != null) {
                double diff = round.getValue() - tls;
                worst = Math.max(worst, diff);
                perRound.add(String.format(Locale.ROOT, "%+.2f", diff));
            }
        }
        targets.add(new Target("… and < 3 ms in every round", perRound.isEmpty() ? "not measured"
                : "rounds: " + String.join(", ", perRound) + " ms", perRound.isEmpty() ? null : worst < 3.0));
        double stored = results.value(ENVELOPE, "stored_bytes_per_record") - results.value("plaintext", "stored_bytes_per_record");
        targets.add(new Target("Stored bytes per 1 KiB record over plaintext ≤ +80 (Kroxylicious: +141)",
                Double.isNaN(stored) ? "not measured" : String.format(Locale.ROOT, "%+.0f bytes (Kroxylicious %+.0f)", stored,
                        results.value(PEER, "stored_bytes_per_record") - results.value("plaintext", "stored_bytes_per_record")),
                Double.isNaN(stored) ? null : stored <= 80));
        for (String op : List.of("encrypt", "decrypt")) {
            List<String> ratios = new ArrayList<>();
            Boolean met = null;
            for (String size : MICRO_SIZES) {
                var row = results.get("micro", "envelope_" + op + "_" + size + "B");
                if (row.isEmpty() || Double.isNaN(row.get().ratio())) {
                    continue;
                }
                Results.Row r = row.get();
                var raw = results.get("micro", "raw_aes_gcm_" + op + "_" + size + "B").orElseThrow();
                double error = Math.max(r.max() - r.value(), raw.max() - raw.value() == 0 ? 0 : (raw.max() - raw.value()) / raw.value() * r.value());
                boolean ok = r.ratio() <= 1.2 && (r.max() - r.value()) / r.value() < 0.10 && (raw.max() - raw.value()) / raw.value() < 0.10;
                met = met == null ? ok : met && ok;
                ratios.add(String.format(Locale.ROOT, "%s %.2f× (±%.0f%%)", sizeLabel(size), r.ratio(), error / r.value() * 100));
            }
            targets.add(new Target("Envelope " + op + " within 1.2× raw JCA AES-GCM at every size, error bars < 10%",
                    ratios.isEmpty() ? "not measured" : String.join(", ", ratios), met));
        }
        var recordKey = results.get("micro", "record_key_encrypt_32B");
        targets.add(new Target("Deterministic record-key encryption ≤ 1.5 µs at 32-byte keys",
                recordKey.map(r -> String.format(Locale.ROOT, "%.2f µs (±%.0f%%)", r.value() / 1000, (r.max() - r.value()) / r.value() * 100))
                        .orElse("not measured"), recordKey.map(r -> r.value() <= 1500).orElse(null)));
        List<String> behind = new ArrayList<>();
        int compared = 0;
        for (String metric : List.of("producer_throughput", "consumer_throughput")) {
            double ours = results.value(ENVELOPE, metric);
            double peer = results.value(PEER, metric);
            if (!Double.isNaN(ours) && !Double.isNaN(peer)) {
                compared++;
                if (ours <= peer) {
                    behind.add(metric);
                }
            }
        }
        for (String kind : List.of("publish", "e2e")) {
            for (String p : PERCENTILES) {
                String metric = kind + "_latency_" + p;
                double ours = results.value(ENVELOPE, metric);
                double peer = results.value(PEER, metric);
                if (!Double.isNaN(ours) && !Double.isNaN(peer)) {
                    compared++;
                    if (ours >= peer) {
                        behind.add(metric);
                    }
                }
            }
        }
        targets.add(new Target("tls+envelope ahead of tls+kroxylicious on every throughput and latency figure",
                compared == 0 ? "not measured" : behind.isEmpty()
                        ? String.format(Locale.ROOT, "ahead on all %d figures (producer %.1f×, consumer %.1f× the peer's)", compared,
                                results.value(ENVELOPE, "producer_throughput") / results.value(PEER, "producer_throughput"),
                                results.value(ENVELOPE, "consumer_throughput") / results.value(PEER, "consumer_throughput"))
                        : "behind on " + String.join(", ", behind),
                compared == 0 ? null : behind.isEmpty()));
        return targets;
    }

    private void ratioTarget(List<Target> targets, String name, String metric, double minimum) {
        var row = results.get(ENVELOPE, metric);
        targets.add(new Target(name, row.filter(r -> !Double.isNaN(r.ratio())).map(r -> String.format(Locale.ROOT,
                        "%.1f%% (%,.0f vs %,.0f records/s)", r.ratio() * 100, r.value(), r.value() / r.ratio())).orElse("not measured"),
                row.filter(r -> !Double.isNaN(r.ratio())).map(r -> r.ratio() >= minimum).orElse(null)));
    }

    private String saturatedNote(String scenario) {
        return results.value(scenario, "latency_saturated") > 0 ? " [" + scenario + " saturated]" : "";
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Ciphertrail benchmark results\n\n");
        Map<String, String> machine = MachineInfo.read();
        md.append("Run ").append(run.getProperty("started", "?")).append(" to ").append(run.getProperty("finished", "?"))
                .append(", mode `").append(run.getProperty("mode", "?")).append("`, commit `").append(run.getProperty("commit", "?")).append("`.\n");
        md.append("Machine: ").append(machine.get("cpus")).append(" CPUs (").append(machine.get("cpu_model")).append("), ")
                .append(machine.get("memory")).append(" memory, ").append(machine.get("jdk")).append(", ").append(machine.get("os")).append(".\n");
        md.append("Settings: ").append(run.getProperty("settings", "?")).append(".\n\n");
        md.append("Every end-to-end figure is the median over the rounds (each round measures every scenario, in a rotated order);"
                + " ratios are to `tls`. Records are 1 KiB of random bytes, one partition, `acks=all`, idempotence on."
                + " How each number is measured: `benchmarks/README.md`.\n\n");

        md.append("## Targets\n\n| target | measured | met |\n|---|---|---|\n");
        for (Target target : targets()) {
            md.append("| ").append(target.name()).append(" | ").append(target.measured()).append(" | ")
                    .append(target.met() == null ? "n/a" : target.met() ? "yes" : "**no**").append(" |\n");
        }

        if (!results.scenarios().isEmpty()) {
            md.append("\n## Throughput and CPU cost\n\n");
            md.append("| scenario | producer records/s | producer MB/s | vs tls | consumer records/s | vs tls | CPU-s per GB | vs tls | stored bytes per record |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (String scenario : results.scenarios()) {
                if (results.get(scenario, "producer_throughput").isEmpty()) {
                    continue;
                }
                md.append("| ").append(scenario)
                        .append(" | ").append(cell(scenario, "producer_throughput", v -> fmt("%,.0f", v)))
                        .append(" | ").append(cell(scenario, "producer_throughput_mb", v -> fmt("%.1f", v)))
                        .append(" | ").append(ratio(scenario, "producer_throughput"))
                        .append(" | ").append(cell(scenario, "consumer_throughput", v -> fmt("%,.0f", v)))
                        .append(" | ").append(ratio(scenario, "consumer_throughput"))
                        .append(" | ").append(cell(scenario, "cpu_per_gb", v -> fmt("%.1f", v)))
                        .append(" | ").append(ratio(scenario, "cpu_per_gb"))
                        .append(" | ").append(cell(scenario, "stored_bytes_per_record", v -> fmt("%.0f", v)))
                        .append(" |\n");
            }
            md.append("\nMin–max over the rounds in brackets. CPU-s per GB: CPU seconds (user + system) of every JVM the scenario"
                    + " uses — client JVM, broker, and the proxy or the policy service — from the producer's start to the"
                    + " consumer's end, per GB (10^9 bytes) of payload produced and consumed once. Split by JVM:\n\n");
            md.append("| scenario | clients | broker | proxy / service |\n|---|---:|---:|---:|\n");
            for (String scenario : results.scenarios()) {
                if (results.get(scenario, "cpu_per_gb").isEmpty()) {
                    continue;
                }
                double third = results.value(scenario, "cpu_per_gb_proxy");
                if (Double.isNaN(third)) {
                    third = results.value(scenario, "cpu_per_gb_service");
                }
                md.append("| ").append(scenario).append(" | ").append(fmt("%.1f", results.value(scenario, "cpu_per_gb_clients")))
                        .append(" | ").append(fmt("%.1f", results.value(scenario, "cpu_per_gb_broker")))
                        .append(" | ").append(Double.isNaN(third) ? "—" : fmt("%.1f", third)).append(" |\n");
            }
            gates(md);

            md.append("\n## Latency at a fixed rate\n\n");
            md.append("Rate: ").append(run.getProperty("latency_rate", "half the tls end-to-end maximum"))
                    .append(". Milliseconds from each record's scheduled send time to its acknowledgement (publish)"
                            + " and to its arrival, decrypted, in a consumer polling all along (end to end).\n\n");
            md.append("| scenario | rate records/s | publish p50 | publish p99 | publish p99.9 | e2e p50 | e2e p99 | e2e p99.9 | publish p99 vs tls |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (String scenario : results.scenarios()) {
                if (results.get(scenario, "publish_latency_p50").isEmpty()) {
                    continue;
                }
                md.append("| ").append(scenario).append(results.value(scenario, "latency_saturated") > 0 ? " (saturated)" : "")
                        .append(" | ").append(fmt("%,.0f", results.value(scenario, "latency_rate")));
                for (String kind : List.of("publish", "e2e")) {
                    for (String p : PERCENTILES) {
                        md.append(" | ").append(cell(scenario, kind + "_latency_" + p, v -> fmt("%.2f", v)));
                    }
                }
                double added = results.value(scenario, "publish_latency_p99") - results.value(Results.BASELINE, "publish_latency_p99");
                md.append(" | ").append(Double.isNaN(added) ? "—" : fmt("%+.2f ms", added)).append(" |\n");
            }
            md.append("\n(saturated): sending fell 2 s behind the schedule, so the run stopped early; its latencies are queueing"
                    + " and grow with the run's length.\n");

            md.append("\n## Noise\n\n");
            md.append("Half the spread between the rounds' extremes, relative to the median; and the CPU used by other processes"
                    + " on the machine during the measurements (the machine is shared).\n\n");
            md.append("| scenario | producer | consumer | publish p99 | CPU-s/GB | other load (throughput / latency runs) |\n|---|---:|---:|---:|---:|---:|\n");
            for (String scenario : results.scenarios()) {
                md.append("| ").append(scenario)
                        .append(" | ").append(spread(scenario, "producer_throughput"))
                        .append(" | ").append(spread(scenario, "consumer_throughput"))
                        .append(" | ").append(spread(scenario, "publish_latency_p99"))
                        .append(" | ").append(spread(scenario, "cpu_per_gb"))
                        .append(" | ").append(load(scenario, "other_load_throughput_run")).append(" / ")
                        .append(load(scenario, "other_load_latency_run")).append(" |\n");
            }
        }

        if (results.get("micro", "envelope_encrypt_1024B").isPresent()) {
            md.append("\n## Micro benchmarks (JMH, ns per operation)\n\n");
            md.append("| operation | 100 B | 1 KiB | 16 KiB | 256 KiB |\n|---|---:|---:|---:|---:|\n");
            for (String op : List.of("envelope_encrypt", "raw_aes_gcm_encrypt", "envelope_decrypt", "raw_aes_gcm_decrypt")) {
                md.append("| ").append(op);
                for (String size : MICRO_SIZES) {
                    var row = results.get("micro", op + "_" + size + "B");
                    md.append(" | ").append(row.map(r -> fmt("%,.0f", r.value()) + fmt(" ±%.0f%%", (r.max() - r.value()) / r.value() * 100)
                            + (Double.isNaN(r.ratio()) ? "" : fmt(" (%.2f×)", r.ratio()))).orElse("—"));
                }
                md.append(" |\n");
            }
            md.append("\n±: JMH's 99.9% error relative to the score. (×): envelope time over raw JCA AES-256-GCM of the same"
                    + " bytes under a fresh IV.\n\n");
            md.append("| operation | ns per operation |\n|---|---:|\n");
            for (Results.Row row : results.rows()) {
                if (row.scenario().equals("micro") && !row.metric().startsWith("envelope_") && !row.metric().startsWith("raw_")) {
                    md.append("| ").append(row.metric()).append(" | ").append(fmt("%,.0f", row.value())).append(" ± ")
                            .append(fmt("%,.0f", row.max() - row.value())).append(" |\n");
                }
            }
        }
        return md.toString();
    }

    /** Per gate scenario: ingress and forwarded rates, the lag left at the end, the trail's records, CPU by JVM. */
    private void gates(StringBuilder md) {
        List<String> gated = results.scenarios().stream().filter(s -> results.get(s, "gate_throughput").isPresent()).toList();
        if (gated.isEmpty()) {
            return;
        }
        md.append("\n### The policy gate\n\n");
        md.append("| scenario | ingress records/s | vs tls | forwarded records/s | lag at end (records) | trail records per gated record"
                + " | CPU-s/GB clients | broker | service |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String scenario : gated) {
            md.append("| ").append(scenario)
                    .append(" | ").append(cell(scenario, "producer_throughput", v -> fmt("%,.0f", v)))
                    .append(" | ").append(ratio(scenario, "producer_throughput"))
                    .append(" | ").append(cell(scenario, "gate_throughput", v -> fmt("%,.0f", v)))
                    .append(" | ").append(cell(scenario, "gate_lag_at_end", v -> fmt("%,.0f", v)))
                    .append(" | ").append(cell(scenario, "trail_records_per_gated_record", v -> fmt("%.2f", v)))
                    .append(" | ").append(fmt("%.1f", results.value(scenario, "cpu_per_gb_clients")))
                    .append(" | ").append(fmt("%.1f", results.value(scenario, "cpu_per_gb_broker")))
                    .append(" | ").append(fmt("%.1f", results.value(scenario, "cpu_per_gb_service")));
            List<String> instances = new ArrayList<>();
            for (int i = 1; !Double.isNaN(results.value(scenario, "cpu_per_gb_service_instance_" + i)); i++) {
                instances.add(fmt("%.1f", results.value(scenario, "cpu_per_gb_service_instance_" + i)));
            }
            md.append(instances.isEmpty() ? "" : " (" + String.join(" + ", instances) + ")").append(" |\n");
        }
        md.append("\nIngress: records/s the producer wrote to the ingress topic at full speed; forwarded: records/s the gate wrote"
                + " to egress over the same window (exactly-once, one stream thread per instance); lag: records acknowledged into"
                + " ingress but not yet forwarded when the window closed. Trail records: what the gate wrote to its trail topic"
                + " per record it checked (1 compact index entry per forwarded record by default; a full audit event with"
                + " `trail=full`). CPU of the service is every instance together.\n");
    }

    static String sizeLabel(String bytes) {
        int n = Integer.parseInt(bytes);
        return n >= 1024 ? n / 1024 + " KiB" : n + " B";
    }

    private String cell(String scenario, String metric, DoubleFunction<String> format) {
        return results.get(scenario, metric).map(r -> r.runs() > 1
                ? format.apply(r.value()) + " <sub>[" + format.apply(r.min()) + "–" + format.apply(r.max()) + "]</sub>"
                : format.apply(r.value())).orElse("—");
    }

    private String ratio(String scenario, String metric) {
        return results.get(scenario, metric).filter(r -> !Double.isNaN(r.ratio())).map(r -> fmt("%.2f", r.ratio())).orElse("—");
    }

    private String spread(String scenario, String metric) {
        return results.get(scenario, metric).filter(r -> r.runs() > 1 && r.value() != 0)
                .map(r -> fmt("±%.0f%%", Stats.spreadPercent(r.value(), r.min(), r.max()))).orElse("—");
    }

    private String load(String scenario, String metric) {
        return results.get(scenario, metric).map(r -> fmt("%.0f%%", r.value()) + (r.runs() > 1 ? fmt(" (max %.0f%%)", r.max()) : "")).orElse("—");
    }

    static String fmt(String format, double value) {
        return Double.isNaN(value) ? "—" : String.format(Locale.ROOT, format, value);
    }
}
