package io.ciphertrail.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** The two charts of a run, drawn with Java2D (headless). Bars are medians, whiskers the rounds' min and max. */
final class Charts {
    private static final Color[] SERIES = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0x9467bd)};
    private static final int WIDTH = 1200;
    private static final int HEIGHT = 560;

    private Charts() {
    }

    /** Producer and consumer throughput per scenario, in MB/s of payload, with the ratio to tls above each bar. */
    static void throughput(Results results, Path file) {
        List<String> scenarios = results.scenarios().stream()
                .filter(s -> results.get(s, "producer_throughput_mb").isPresent()).toList();
        List<Series> series = List.of(
                series(results, scenarios, "producer_throughput_mb", "producer"),
                series(results, scenarios, "consumer_throughput_mb", "consumer"));
        draw(file, "Maximum throughput, 1 KiB records, one partition (MB/s of payload; label: ratio to tls)",
                "MB/s", scenarios, series, false, true);
    }

    /** Publish and end-to-end latency percentiles per scenario, logarithmic scale. */
    static void latency(Results results, String rate, Path file) {
        List<String> scenarios = results.scenarios().stream()
                .filter(s -> results.get(s, "publish_latency_p50").isPresent()).toList();
        List<Series> series = new ArrayList<>();
        series.add(series(results, scenarios, "publish_latency_p50", "publish p50"));
        series.add(series(results, scenarios, "publish_latency_p99", "publish p99"));
        series.add(series(results, scenarios, "e2e_latency_p50", "end-to-end p50"));
        series.add(series(results, scenarios, "e2e_latency_p99", "end-to-end p99"));
        draw(file, "Latency at a fixed rate" + (rate.isEmpty() ? "" : " (" + rate + ")") + ", ms, log scale",
                "ms", scenarios, series, true, false);
    }

    record Series(String name, double[] values, double[] min, double[] max, double[] ratio) {
    }

    private static Series series(Results results, List<String> scenarios, String metric, String name) {
        int n = scenarios.size();
        double[] values = new double[n];
        double[] min = new double[n];
        double[] max = new double[n];
        double[] ratio = new double[n];
        for (int i = 0; i < n; i++) {
            var row = results.get(scenarios.get(i), metric);
            values[i] = row.map(Results.Row::value).orElse(Double.NaN);
            min[i] = row.map(Results.Row::min).orElse(Double.NaN);
            max[i] = row.map(Results.Row::max).orElse(Double.NaN);
            ratio[i] = row.map(Results.Row::ratio).orElse(Double.NaN);
        }
        return new Series(name, values, min, max, ratio);
    }

    private static void draw(Path file, String title, String unit, List<String> categories, List<Series> series,
                             boolean logarithmic, boolean ratioLabels) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            int left = 80;
            int right = WIDTH - 30;
            int top = 70;
            int bottom = HEIGHT - 90;
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
            g.drawString(title, left, 32);

            double maxValue = 0;
            double minPositive = Double.MAX_VALUE;
            for (Series s : series) {
                for (int i = 0; i < s.values().length; i++) {
                    for (double v : new double[] {s.values()[i], s.max()[i]}) {
                        if (!Double.isNaN(v) && v > 0) {
                            maxValue = Math.max(maxValue, v);
                            minPositive = Math.min(minPositive, v);
                        }
                    }
                }
            }
            if (maxValue == 0) {
                maxValue = 1;
                minPositive = 0.1;
            }
            Scale scale = logarithmic
                    ? new Scale(Math.pow(10, Math.floor(Math.log10(minPositive))), Math.pow(10, Math.ceil(Math.log10(maxValue * 1.05))), true)
                    : new Scale(0, niceCeiling(maxValue * 1.12), false);

            // axes, grid and tick labels
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            FontMetrics fm = g.getFontMetrics();
            for (double tick : scale.ticks()) {
                int y = scale.y(tick, top, bottom);
                g.setColor(new Color(0xe0e0e0));
                g.drawLine(left, y, right, y);
                g.setColor(Color.DARK_GRAY);
                String label = tickLabel(tick);
                g.drawString(label, left - 8 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
            }
            g.setColor(Color.BLACK);
            g.drawLine(left, top, left, bottom);
            g.drawLine(left, bottom, right, bottom);
            g.drawString(unit, 12, top - 10);

            int groups = categories.size();
            double groupWidth = (right - left) / (double) Math.max(groups, 1);
            double barWidth = Math.min(60, groupWidth * 0.8 / series.size());
            for (int c = 0; c < groups; c++) {
                double groupStart = left + c * groupWidth + (groupWidth - barWidth * series.size()) / 2;
                for (int s = 0; s < series.size(); s++) {
                    Series data = series.get(s);
                    double v = data.values()[c];
                    if (Double.isNaN(v) || (logarithmic && v <= 0)) {
                        continue;
                    }
                    int x = (int) Math.round(groupStart + s * barWidth);
                    int y = scale.y(v, top, bottom);
                    g.setColor(SERIES[s % SERIES.length]);
                    g.fillRect(x, y, (int) Math.round(barWidth) - 3, bottom - y);
                    if (!Double.isNaN(data.min()[c]) && data.max()[c] > data.min()[c]) {
                        int mid = x + ((int) Math.round(barWidth) - 3) / 2;
                        int y1 = scale.y(Math.max(data.min()[c], logarithmic ? scale.min() : 0), top, bottom);
                        int y2 = scale.y(data.max()[c], top, bottom);
                        g.setColor(Color.BLACK);
                        g.setStroke(new BasicStroke(1.2f));
                        g.drawLine(mid, y1, mid, y2);
                        g.drawLine(mid - 4, y1, mid + 4, y1);
                        g.drawLine(mid - 4, y2, mid + 4, y2);
                    }
                    String label = ratioLabels && !Double.isNaN(data.ratio()[c])
                            ? String.format(Locale.ROOT, "%.2f", data.ratio()[c]) : tickLabel(v);
                    g.setColor(Color.BLACK);
                    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                    FontMetrics small = g.getFontMetrics();
                    int labelY = Math.min(y, Double.isNaN(data.max()[c]) ? y : scale.y(data.max()[c], top, bottom)) - 4;
                    g.drawString(label, x + ((int) Math.round(barWidth) - 3 - small.stringWidth(label)) / 2, labelY);
                    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
                }
                String name = categories.get(c);
                g.setColor(Color.BLACK);
                drawWrapped(g, name, left + c * groupWidth + groupWidth / 2, bottom + 18, groupWidth - 6);
            }
            // legend
            int lx = left + 10;
            for (int s = 0; s < series.size(); s++) {
                g.setColor(SERIES[s % SERIES.length]);
                g.fillRect(lx, 44, 14, 14);
                g.setColor(Color.BLACK);
                g.drawString(series.get(s).name(), lx + 20, 56);
                lx += 40 + fm.stringWidth(series.get(s).name());
            }
            g.drawString("whiskers: min and max over the rounds", lx + 10, 56);
        } finally {
            g.dispose();
        }
        try {
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Centered text, broken at '+' or '[' when wider than {@code width}. */
    private static void drawWrapped(Graphics2D g, String text, double centerX, int y, double width) {
        FontMetrics fm = g.getFontMetrics();
        List<String> lines = new ArrayList<>();
        String rest = text;
        while (fm.stringWidth(rest) > width) {
            int cut = -1;
            for (int i = rest.length() - 1; i > 0; i--) {
                char c = rest.charAt(i);
                if ((c == '+' || c == '[' || c == ',') && fm.stringWidth(rest.substring(0, i)) <= width) {
                    cut = i;
                    break;
                }
            }
            if (cut <= 0) {
                break;
            }
            lines.add(rest.substring(0, cut));
            rest = rest.substring(cut);
        }
        lines.add(rest);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            g.drawString(line, (int) Math.round(centerX - fm.stringWidth(line) / 2.0), y + i * (fm.getHeight()));
        }
    }

    private static String tickLabel(double value) {
        if (value == 0) {
            return "0";
        }
        if (value >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        if (value >= 10) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (value >= 1) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        return String.format(Locale.ROOT, "%.2f", value);
    }

    static double niceCeiling(double value) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= value) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private record Scale(double min, double max, boolean logarithmic) {
        int y(double value, int top, int bottom) {
            double fraction = logarithmic
                    ? (Math.log10(value) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))
                    : (value - min) / (max - min);
            return (int) Math.round(bottom - Math.max(0, Math.min(1, fraction)) * (bottom - top));
        }

        List<Double> ticks() {
            List<Double> ticks = new ArrayList<>();
            if (logarithmic) {
                for (double t = min; t <= max * 1.0001; t *= 10) {
                    ticks.add(t);
                }
            } else {
                double step = niceCeiling(max / 5) / 2 >= max / 10 ? niceCeiling(max / 5) : max / 5;
                for (double t = min; t <= max * 1.0001; t += step) {
                    ticks.add(t);
                }
            }
            return ticks;
        }
    }
}
