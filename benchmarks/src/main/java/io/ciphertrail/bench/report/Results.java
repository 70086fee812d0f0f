package io.ciphertrail.bench.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every measurement of a run, aggregated: per scenario and metric the median over the rounds, the
 * extremes, and the ratio to the baseline ({@code tls} for end-to-end figures, raw AES-GCM for the
 * envelope micro benchmarks).
 */
public final class Results {
    public static final String BASELINE = "tls";
    public static final String RAW_BASELINE = "raw-aes-gcm";

    /** One row of summary.csv. */
    public record Row(String scenario, String metric, String unit, double value, double min, double max, int runs,
                      String baseline, double ratio) {
        public List<Object> fields() {
            return List.of(scenario, metric, unit, value, min, max, runs, baseline, ratio);
        }
    }

    public static final List<String> HEADER = List.of("scenario", "metric", "unit", "value", "min", "max", "runs",
            "baseline", "ratio_to_baseline");

    private final Map<String, Row> rows = new LinkedHashMap<>();
    private final List<String> scenarios = new ArrayList<>();
    private final Map<String, Map<Integer, Double>> byRound = new LinkedHashMap<>();

    /** Aggregates {@code rounds.csv} (round, scenario, metric, unit, value) and JMH's CSV output, either may be absent. */
    public static Results read(Path roundsCsv, Path microCsv) {
        Results results = new Results();
        if (roundsCsv != null && Files.exists(roundsCsv)) {
            results.addRounds(Csv.read(roundsCsv));
        }
        if (microCsv != null && Files.exists(microCsv)) {
            results.addMicro(Csv.read(microCsv));
        }
        return results;
    }

    void addRounds(List<List<String>> table) {
        Map<String, List<Double>> values = new LinkedHashMap<>();
        Map<String, String> units = new LinkedHashMap<>();
        for (List<String> row : table.subList(Math.min(1, table.size()), table.size())) {
            String scenario = row.get(1);
            if (!scenarios.contains(scenario)) {
                scenarios.add(scenario);
            }
            if (row.get(4).isEmpty()) {
                continue;
            }
            String key = scenario + "\u0000" + row.get(2);
            values.computeIfAbsent(key, k -> new ArrayList<>()).add(Double.parseDouble(row.get(4)));
            byRound.computeIfAbsent(key, k -> new java.util.TreeMap<>()).put(Integer.parseInt(row.get(0)), Double.parseDouble(row.get(4)));
            units.put(key, row.get(3));
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        values.forEach((key, list) -> medians.put(key, Stats.median(list)));
        values.forEach((key, list) -> {
            String[] parts = key.split("\u0000");
            Double base = medians.get(BASELINE + "\u0000" + parts[1]);
            double median = medians.get(key);
            rows.put(key, new Row(parts[0], parts[1], units.get(key), median, Stats.min(list), Stats.max(list), list.size(),
                    base == null ? "" : BASELINE, base == null ? Double.NaN : Stats.ratio(median, base)));
        });
    }

    /** JMH CSV: Benchmark, Mode, Threads, Samples, Score, Score Error (99.9%), Unit[, Param: size]. */
    void addMicro(List<List<String>> table) {
        if (table.isEmpty()) {
            return;
        }
        List<String> header = table.get(0);
        int sizeColumn = header.indexOf("Param: size");
        Map<String, Row> raw = new LinkedHashMap<>();
        List<Row> micro = new ArrayList<>();
        for (List<String> row : table.subList(1, table.size())) {
            String method = row.get(0).substring(row.get(0).lastIndexOf('.') + 1);
            String size = sizeColumn >= 0 && sizeColumn < row.size() ? row.get(sizeColumn) : "";
            String metric = snake(method) + (size.isEmpty() ? "" : "_" + size + "B");
            double score = Double.parseDouble(row.get(4));
            double error = row.get(5).isEmpty() || row.get(5).equals("NaN") ? 0 : Double.parseDouble(row.get(5));
            Row r = new Row("micro", metric, row.get(6), score, score - error, score + error, Integer.parseInt(row.get(3)), "", Double.NaN);
            if (method.startsWith("rawAesGcm")) {
                raw.put(method.replace("rawAesGcm", "").toLowerCase() + size, r);
            }
            micro.add(r);
        }
        for (Row r : micro) {
            String metric = r.metric();
            Row base = null;
            if (metric.startsWith("envelope_encrypt_") || metric.startsWith("envelope_decrypt_")) {
                String op = metric.startsWith("envelope_encrypt_") ? "encrypt" : "decrypt";
                base = raw.get(op + metric.substring(metric.lastIndexOf('_') + 1).replace("B", ""));
            }
            rows.put("micro\u0000" + metric, base == null ? r
                    : new Row(r.scenario(), metric, r.unit(), r.value(), r.min(), r.max(), r.runs(), RAW_BASELINE, r.value() / base.value()));
        }
    }

    static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase();
    }

    public List<Row> rows() {
        return List.copyOf(rows.values());
    }

    /** End-to-end scenarios in the order they were measured first. */
    public List<String> scenarios() {
        return List.copyOf(scenarios);
    }

    public Optional<Row> get(String scenario, String metric) {
        return Optional.ofNullable(rows.get(scenario + "\u0000" + metric));
    }

    /** The value of {@code metric} in each round (by round number), for figures that must hold in every round. */
    public Map<Integer, Double> byRound(String scenario, String metric) {
        return byRound.getOrDefault(scenario + "\u0000" + metric, Map.of());
    }

    public double value(String scenario, String metric) {
        return get(scenario, metric).map(Row::value).orElse(Double.NaN);
    }

    public void writeCsv(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Csv.append(file, HEADER);
        for (Row row : rows.values()) {
            Csv.append(file, row.fields());
        }
    }
}
