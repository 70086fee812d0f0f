package io.ciphertrail.bench.e2e;

import io.ciphertrail.bench.report.Csv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The end-to-end benchmark: starts the broker, the proxy and the policy services in JVMs of their own,
 * then measures every scenario in rounds, each round in another scenario order, and writes each
 * measurement to {@code rounds.csv} as it is taken. This JVM is the client JVM. The machine may be
 * shared: each measurement waits (boundedly) for other processes to go quiet, and one disturbed by them
 * is taken again (once by default, while the time budget lasts); the least disturbed attempt is kept.
 *
 * <pre>
 * EndToEnd --work DIR --out DIR --peer DIR --logback FILE [--rounds 3] [--warmup-seconds 3] [--measure-seconds 8]
 *          [--latency-warmup-seconds 3] [--latency-seconds 10] [--initial-warmup-seconds 5] [--rate N] [--gate-rate N]
 *          [--scenarios tls,tls+envelope,...] [--no-peer] [--quiet-percent 15] [--quiet-wait-seconds 20] [--retries 1]
 *          [--budget-seconds N] [--latency-only (with --rate: a targeted latency comparison, no throughput runs)]
 *          [--service-setting KEY=VALUE (repeatable: added to every policy service's settings, for an A/B by hand)]
 * </pre>
 */
public final class EndToEnd {
    private final Options options;
    private final long began = System.nanoTime();
    private final Path roundsCsv;
    private final Path timelineCsv;

    private EndToEnd(Options options) {
        this.options = options;
        this.roundsCsv = options.out.resolve("rounds.csv");
        this.timelineCsv = options.out.resolve("timeline.csv");
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Files.createDirectories(options.work);
        Files.createDirectories(options.out);
        Pids.writeTo(options.work.resolve("pids"));
        int exit = new EndToEnd(options).run();
        System.exit(exit);
    }

    private int run() throws Exception {
        Files.deleteIfExists(roundsCsv);
        Csv.append(roundsCsv, List.of("round", "scenario", "metric", "unit", "value"));
        Files.deleteIfExists(timelineCsv);
        Csv.append(timelineCsv, List.of("round", "scenario", "second", "publish_p99_ms", "e2e_p99_ms"));
        Map<Scenario, List<String>> plan = plan();
        Platform platform = new Platform(new Platform.Settings(options.work, System.getProperty("java.class.path"),
                options.peer, options.logback, options.serviceSettings), this::progress);
        Thread hook = new Thread(platform::close, "stop-benchmark-processes");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            platform.start(plan);
            Clients clients = new Clients(platform);
            Workloads workloads = new Workloads(platform, clients, this::progress);
            measure(platform, workloads, plan.keySet());
            progress("End-to-end measurements done");
            return 0;
        } catch (RuntimeException e) {
            progress("FAILED: " + e.getMessage());
            e.printStackTrace();
            return 1;
        } finally {
            progress("Stopping the broker, proxy and services");
            platform.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
    }

    /** Topic names per scenario: one initial warm-up topic, then a throughput and a latency topic per round. */
    private Map<Scenario, List<String>> plan() {
        Map<Scenario, List<String>> plan = new LinkedHashMap<>();
        for (Scenario scenario : options.scenarios) {
            List<String> topics = new ArrayList<>();
            topics.add(topic(scenario, 0, "warm"));
            for (int round = 1; round <= options.rounds; round++) {
                if (scenario.measuresThroughput()) {
                    topics.add(topic(scenario, round, "tput"));
                }
                topics.add(topic(scenario, round, "lat"));
            }
            plan.put(scenario, topics);
        }
        return plan;
    }

    private static String topic(Scenario scenario, int round, String phase) {
        return round == 0 ? scenario.slug + "-" + phase : scenario.slug + "-r" + round + "-" + phase;
    }

    private void measure(Platform platform, Workloads workloads, java.util.Set<Scenario> scenarios) {
        List<Scenario> throughputScenarios = options.latencyOnly ? List.of()
                : scenarios.stream().filter(Scenario::measuresThroughput).toList();
        List<Scenario> all = List.copyOf(scenarios);

        progress("Initial warm-up of every client path (" + options.initialWarmup.toSeconds() + " s each, discarded)");
        for (Scenario scenario : all) {
            if (scenario.measuresThroughput()) {
                workloads.throughput(scenario, topic(scenario, 0, "warm"), Duration.ZERO, options.initialWarmup);
            } else {
                workloads.latency(scenario, topic(scenario, 0, "warm"), 1_000, Duration.ZERO, options.initialWarmup);
            }
            platform.checkAlive();
            deleteUnlessGated(platform, scenario, topic(scenario, 0, "warm"));
        }

        double rate = options.rate;
        double gateRate = options.gateRate;
        for (int round = 1; round <= options.rounds; round++) {
            for (Scenario scenario : Scenario.rotate(throughputScenarios, round - 1)) {
                String topic = topic(scenario, round, "tput");
                Workloads.Throughput t = null;
                for (int attempt = 0; ; attempt++) {
                    awaitQuiet(platform);
                    if (t != null) {
                        // a retry needs an empty topic
                        platform.deleteTopic(topic);
                        platform.recreateTopic(topic);
                    }
                    Workloads.Throughput next = workloads.throughput(scenario, topic, options.warmup, options.measure);
                    t = t == null || next.foreignCpuPercent() < t.foreignCpuPercent() ? next : t;
                    if (!retry(attempt, next.foreignCpuPercent(), scenario, "throughput") || scenario.gated()) {
                        break;
                    }
                }
                record(round, scenario, t);
                progress(String.format("round %d/%d  %-28s producer %,8.0f rec/s (%5.1f MB/s)  consumer %,8.0f rec/s  %5.1f CPU-s/GB%s%s",
                        round, options.rounds, scenario.label, t.producerRecordsPerSec(), t.producerRecordsPerSec() * Workloads.RECORD_SIZE / 1e6,
                        t.consumerRecordsPerSec(), t.cpuSecondsPerGb(),
                        scenario.gated() ? String.format("  gate %,.0f rec/s, lag at end %,d, %.2f trail records per record",
                                t.gateRecordsPerSec(), t.gateLagAtEnd(), t.trailRecordsPerGatedRecord()) : "",
                        t.foreignCpuPercent() >= 5 ? String.format("  [other load %.0f%%]", t.foreignCpuPercent()) : ""));
                if (rate <= 0 && scenario == Scenario.TLS) {
                    rate = Math.floor(t.endToEndRecordsPerSec() / 2 / 100) * 100;
                    progress(String.format("Fixed rate for every latency run: %,.0f records/s (half the tls end-to-end maximum of round 1)", rate));
                }
                if (gateRate <= 0 && scenario == Scenario.GATE) {
                    gateRate = Math.floor(t.gateRecordsPerSec() / 2 / 100) * 100;
                    progress(String.format("Fixed rate for the extra gate latency runs: %,.0f records/s (half the gate's maximum in round 1)", gateRate));
                }
                platform.checkAlive();
                deleteUnlessGated(platform, scenario, topic);
            }
            if (rate <= 0) {
                throw new IllegalStateException("No rate for the latency runs: measure tls, or give --rate");
            }
            for (Scenario scenario : Scenario.rotate(all, round - 1)) {
                String topic = topic(scenario, round, "lat");
                double target = scenario.atGateRate() ? gateRate : rate;
                if (target <= 0) {
                    progress("skipping " + scenario.label + ": no gate rate (measure tls+envelope+gate, or give --gate-rate)");
                    continue;
                }
                Workloads.Latency l = null;
                for (int attempt = 0; ; attempt++) {
                    awaitQuiet(platform);
                    if (l != null) {
                        // a retry needs an empty topic (of the same name, which has its keys)
                        platform.deleteTopic(topic);
                        platform.recreateTopic(topic);
                    }
                    Workloads.Latency next = workloads.latency(scenario, topic, target, options.latencyWarmup, options.latencyMeasure);
                    l = l == null || next.foreignCpuPercent() < l.foreignCpuPercent() ? next : l;
                    if (!retry(attempt, next.foreignCpuPercent(), scenario, "latency") || scenario.gated()) {
                        break;
                    }
                }
                record(round, scenario, l);
                progress(String.format("round %d/%d  %-28s at %,.0f rec/s: publish p50 %.2f p99 %.2f p99.9 %.2f ms"
                                + " (p99 per second %s); end-to-end p50 %.2f p99 %.2f p99.9 %.2f ms%s%s",
                        round, options.rounds, scenario.label, l.achievedRate(),
                        ms(l.publish(), 50), ms(l.publish(), 99), ms(l.publish(), 99.9), perSecond(l.publishP99PerSecond()),
                        ms(l.endToEnd(), 50), ms(l.endToEnd(), 99), ms(l.endToEnd(), 99.9),
                        (l.saturated() ? "  SATURATED (fell 2 s behind; stopped)" : "") + (l.missing() > 0 ? "  MISSING " + l.missing() : ""),
                        l.foreignCpuPercent() >= 5 ? String.format("  [other load %.0f%%]", l.foreignCpuPercent()) : ""));
                platform.checkAlive();
                deleteUnlessGated(platform, scenario, topic);
            }
        }
    }

    /**
     * The machine is shared: before each measurement, wait (a bounded time) until other processes use
     * less than {@code --quiet-percent} of its CPU, so their load does not favour one scenario.
     */
    private void awaitQuiet(Platform platform) {
        if (options.quietPercent >= 100 || overBudget()) {
            return;
        }
        long deadline = System.nanoTime() + options.quietWait.toNanos();
        double load = Double.NaN;
        while (true) {
            double machine = MachineCpu.busySeconds();
            double ours = Cpu.self() + platform.allJvmsCpu();
            long started = System.nanoTime();
            Platform.sleep(1000);
            double elapsed = (System.nanoTime() - started) / 1e9;
            load = Math.max(0, (MachineCpu.busySeconds() - machine - (Cpu.self() + platform.allJvmsCpu() - ours))
                    / (elapsed * Runtime.getRuntime().availableProcessors()) * 100);
            if (load < options.quietPercent) {
                return;
            }
            if (System.nanoTime() > deadline) {
                progress(String.format("other processes still use %.0f%% of the CPU; measuring anyway", load));
                return;
            }
        }
    }

    /** Whether to measure again because other processes loaded the machine during the measurement. */
    private boolean retry(int attempt, double foreignPercent, Scenario scenario, String what) {
        if (foreignPercent < options.quietPercent || attempt >= options.retries || overBudget()) {
            return false;
        }
        progress(String.format("other processes used %.0f%% of the CPU during the %s run of %s; measuring again",
                foreignPercent, what, scenario.label));
        return true;
    }

    private boolean overBudget() {
        return options.budget != null && System.nanoTime() - began > options.budget.toNanos();
    }

    /** Gate topics stay until the end: removing a topic the gate subscribes to makes it rebalance mid-run. */
    private static void deleteUnlessGated(Platform platform, Scenario scenario, String topic) {
        if (!scenario.gated()) {
            platform.deleteTopic(topic);
        }
    }

    private static String perSecond(long[] nanos) {
        StringBuilder out = new StringBuilder();
        for (long value : nanos) {
            out.append(out.length() == 0 ? "" : " ").append(value < 0 ? "-" : String.format(java.util.Locale.ROOT, "%.1f", value / 1e6));
        }
        return out.toString();
    }

    private static double ms(long[] sortedNanos, double percentile) {
        return sortedNanos.length == 0 ? Double.NaN : io.ciphertrail.bench.report.Stats.percentile(sortedNanos, percentile) / 1e6;
    }

    private void record(int round, Scenario scenario, Workloads.Throughput t) {
        double mb = Workloads.RECORD_SIZE / 1e6;
        row(round, scenario, "producer_throughput", "records/s", t.producerRecordsPerSec());
        row(round, scenario, "producer_throughput_mb", "MB/s", t.producerRecordsPerSec() * mb);
        row(round, scenario, "consumer_throughput", "records/s", t.consumerRecordsPerSec());
        row(round, scenario, "consumer_throughput_mb", "MB/s", t.consumerRecordsPerSec() * mb);
        row(round, scenario, "end_to_end_throughput", "records/s", t.endToEndRecordsPerSec());
        row(round, scenario, "cpu_per_gb", "CPU-s/GB", t.cpuSecondsPerGb());
        double gb = t.produced() * (double) Workloads.RECORD_SIZE / 1e9;
        Map<String, Double> byRole = new LinkedHashMap<>();
        t.cpuByJvm().forEach((jvm, seconds) -> byRole.merge(role(jvm), seconds, Double::sum));
        byRole.forEach((role, seconds) -> row(round, scenario, "cpu_per_gb_" + role, "CPU-s/GB", seconds / gb));
        if (scenario.instances() > 1) {
            // each instance of the service, beside their sum
            int instance = 0;
            for (Map.Entry<String, Double> jvm : t.cpuByJvm().entrySet()) {
                if (role(jvm.getKey()).equals("service")) {
                    row(round, scenario, "cpu_per_gb_service_instance_" + ++instance, "CPU-s/GB", jvm.getValue() / gb);
                }
            }
        }
        row(round, scenario, "stored_bytes_per_record", "bytes", t.storedBytesPerRecord());
        if (scenario.gated()) {
            row(round, scenario, "gate_throughput", "records/s", t.gateRecordsPerSec());
            row(round, scenario, "gate_lag_at_end", "records", t.gateLagAtEnd());
            row(round, scenario, "trail_records_per_gated_record", "records", t.trailRecordsPerGatedRecord());
        }
        row(round, scenario, "other_load_throughput_run", "%", t.foreignCpuPercent());
    }

    /** clients, broker, proxy or service (every instance of the service together). */
    private static String role(String jvm) {
        return jvm.startsWith("policy-service") ? "service" : jvm.equals("kroxylicious") ? "proxy" : jvm;
    }

    private void record(int round, Scenario scenario, Workloads.Latency l) {
        row(round, scenario, "latency_target_rate", "records/s", l.targetRate());
        row(round, scenario, "latency_rate", "records/s", l.achievedRate());
        row(round, scenario, "latency_saturated", "0/1", l.saturated() ? 1 : 0);
        for (String kind : List.of("publish", "e2e")) {
            long[] samples = kind.equals("publish") ? l.publish() : l.endToEnd();
            if (samples.length == 0) {
                continue;
            }
            row(round, scenario, kind + "_latency_p50", "ms", ms(samples, 50));
            row(round, scenario, kind + "_latency_p99", "ms", ms(samples, 99));
            row(round, scenario, kind + "_latency_p999", "ms", ms(samples, 99.9));
            row(round, scenario, kind + "_latency_max", "ms", samples[samples.length - 1] / 1e6);
        }
        row(round, scenario, "latency_records_missing", "records", (double) l.missing());
        long worst = java.util.Arrays.stream(l.publishP99PerSecond()).max().orElse(-1);
        if (worst >= 0) {
            row(round, scenario, "publish_latency_p99_worst_second", "ms", worst / 1e6);
        }
        for (int second = 0; second < l.publishP99PerSecond().length; second++) {
            long publish = l.publishP99PerSecond()[second];
            long e2e = second < l.endToEndP99PerSecond().length ? l.endToEndP99PerSecond()[second] : -1;
            Csv.append(timelineCsv, List.of(round, scenario.label, second + 1, publish < 0 ? Double.NaN : publish / 1e6,
                    e2e < 0 ? Double.NaN : e2e / 1e6));
        }
        row(round, scenario, "other_load_latency_run", "%", l.foreignCpuPercent());
    }

    private void row(int round, Scenario scenario, String metric, String unit, double value) {
        Csv.append(roundsCsv, List.of(round, scenario.label, metric, unit, value));
    }

    private void progress(String message) {
        long seconds = (System.nanoTime() - began) / 1_000_000_000L;
        System.out.printf("[e2e %02d:%02d] %s%n", seconds / 60, seconds % 60, message);
        System.out.flush();
    }

    private static final class Options {
        Path work;
        Path out;
        Path peer;
        Path logback;
        int rounds = 3;
        Duration warmup = Duration.ofSeconds(3);
        Duration measure = Duration.ofSeconds(8);
        Duration latencyWarmup = Duration.ofSeconds(3);
        Duration latencyMeasure = Duration.ofSeconds(10);
        Duration initialWarmup = Duration.ofSeconds(5);
        double rate;
        double gateRate;
        double quietPercent = 15;
        Duration quietWait = Duration.ofSeconds(20);
        int retries = 1;
        boolean latencyOnly;
        Duration budget;
        List<Scenario> scenarios = new ArrayList<>(List.of(Scenario.values()));
        Map<String, String> serviceSettings = new LinkedHashMap<>();

        static Options parse(String[] args) {
            Options o = new Options();
            boolean peer = true;
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--work" -> o.work = Path.of(args[++i]).toAbsolutePath();
                    case "--out" -> o.out = Path.of(args[++i]).toAbsolutePath();
                    case "--peer" -> o.peer = Path.of(args[++i]).toAbsolutePath();
                    case "--logback" -> o.logback = Path.of(args[++i]).toAbsolutePath();
                    case "--rounds" -> o.rounds = Integer.parseInt(args[++i]);
                    case "--warmup-seconds" -> o.warmup = Duration.ofMillis((long) (Double.parseDouble(args[++i]) * 1000));
                    case "--measure-seconds" -> o.measure = Duration.ofMillis((long) (Double.parseDouble(args[++i]) * 1000));
                    case "--latency-warmup-seconds" -> o.latencyWarmup = Duration.ofMillis((long) (Double.parseDouble(args[++i]) * 1000));
                    case "--latency-seconds" -> o.latencyMeasure = Duration.ofMillis((long) (Double.parseDouble(args[++i]) * 1000));
                    case "--initial-warmup-seconds" -> o.initialWarmup = Duration.ofMillis((long) (Double.parseDouble(args[++i]) * 1000));
                    case "--rate" -> o.rate = Double.parseDouble(args[++i]);
                    case "--gate-rate" -> o.gateRate = Double.parseDouble(args[++i]);
                    case "--scenarios" -> o.scenarios = java.util.Arrays.stream(args[++i].split(",")).map(String::trim)
                            .filter(s -> !s.isEmpty()).map(Scenario::of).distinct().toList();
                    case "--no-peer" -> peer = false;
                    case "--latency-only" -> o.latencyOnly = true;
                    case "--quiet-percent" -> o.quietPercent = Double.parseDouble(args[++i]);
                    case "--quiet-wait-seconds" -> o.quietWait = Duration.ofSeconds(Long.parseLong(args[++i]));
                    case "--retries" -> o.retries = Integer.parseInt(args[++i]);
                    case "--budget-seconds" -> o.budget = Duration.ofSeconds(Long.parseLong(args[++i]));
                    case "--service-setting" -> {
                        String setting = args[++i];
                        int eq = setting.indexOf('=');
                        if (eq < 1) {
                            throw new IllegalArgumentException("--service-setting needs KEY=VALUE, got " + setting);
                        }
                        o.serviceSettings.put(setting.substring(0, eq), setting.substring(eq + 1));
                    }
                    default -> throw new IllegalArgumentException("Unknown option " + arg);
                }
            }
            if (o.latencyOnly && o.rate <= 0) {
                throw new IllegalArgumentException("--latency-only needs --rate (no tls throughput run to take it from)");
            }
            if (!peer) {
                o.scenarios = o.scenarios.stream().filter(s -> s != Scenario.KROXYLICIOUS).toList();
            }
            if (o.work == null || o.out == null || o.logback == null || (o.peer == null && o.scenarios.contains(Scenario.KROXYLICIOUS))) {
                throw new IllegalArgumentException("--work, --out, --logback (and --peer for the Kroxylicious scenario) are required");
            }
            // keep the declared order (plaintext, tls, ...) whatever the order given
            o.scenarios = java.util.Arrays.stream(Scenario.values()).filter(o.scenarios::contains).toList();
            return o;
        }
    }
}
