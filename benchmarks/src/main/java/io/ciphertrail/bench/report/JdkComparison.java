package io.ciphertrail.bench.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The same run on several JDKs side by side ({@code benchmarks/run --java A --java B}): each JDK's results
 * are in a folder of their own ({@code jdk17/}, {@code jdk25/}); this adds one table of the figures that
 * matter, per JDK, to the run's {@code summary.md}.
 */
final class JdkComparison {
    private JdkComparison() {
    }

    private record Figure(String name, Function<Results, String> value) {
    }

    static void write(Path out, List<Path> jdkDirs) {
        List<String> names = new ArrayList<>();
        List<Results> runs = new ArrayList<>();
        for (Path dir : jdkDirs) {
            names.add(dir.getFileName().toString());
            runs.add(Results.read(dir.resolve("rounds.csv"), dir.resolve("micro.csv")));
        }
        List<Figure> figures = new ArrayList<>();
        figures.add(new Figure("producer records/s, tls+envelope / tls", r -> ratio(r, "producer_throughput")));
        figures.add(new Figure("consumer records/s, tls+envelope / tls", r -> ratio(r, "consumer_throughput")));
        figures.add(new Figure("publish p99, tls+envelope minus tls", r -> Report.fmt("%+.2f ms",
                r.value(Report.ENVELOPE, "publish_latency_p99") - r.value(Results.BASELINE, "publish_latency_p99"))));
        for (String op : List.of("encrypt", "decrypt")) {
            for (String size : Report.MICRO_SIZES) {
                String label = Report.sizeLabel(size);
                figures.add(new Figure("raw AES-GCM " + op + " " + label + ", ns", r -> Report.fmt("%,.0f",
                        r.value("micro", "raw_aes_gcm_" + op + "_" + size + "B"))));
                figures.add(new Figure("envelope " + op + " " + label + " / raw", r -> r.get("micro", "envelope_" + op + "_" + size + "B")
                        .map(row -> Report.fmt("%.2f×", row.ratio())).orElse("—")));
            }
        }
        figures.add(new Figure("record-key encrypt, 32 B, ns", r -> Report.fmt("%,.0f", r.value("micro", "record_key_encrypt_32B"))));

        StringBuilder md = new StringBuilder("\n## JDKs side by side\n\nThe whole run on each JDK in turn (every JVM of the"
                + " benchmark on that JDK); full results in each JDK's folder. Ratios are within one JDK's run.\n\n| figure |");
        names.forEach(n -> md.append(" [").append(n).append("](").append(n).append("/summary.md) |"));
        md.append("\n|---|").append("---:|".repeat(names.size())).append('\n');
        for (Figure figure : figures) {
            md.append("| ").append(figure.name()).append(" |");
            runs.forEach(r -> md.append(' ').append(figure.value().apply(r)).append(" |"));
            md.append('\n');
        }
        try {
            Files.writeString(out.resolve("summary.md"), md.toString(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println("Added the JDK comparison to " + out.resolve("summary.md"));
    }

    private static String ratio(Results results, String metric) {
        return results.get(Report.ENVELOPE, metric).map(r -> Report.fmt("%.2f", r.ratio())).orElse("—");
    }
}
