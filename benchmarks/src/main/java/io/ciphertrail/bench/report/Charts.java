package io.ciphertrail.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Benchmark charts, drawn with JFreeChart (headless PNG). The building blocks are public so every chart
 * of the benchmarks looks alike: {@link #bars} (grouped bars with whiskers, linear or logarithmic),
 * {@link #lines} (one line per series over time) and {@link #timeline} (two axes over shaded intervals),
 * all saved with {@link #save}.
 */
public final class Charts {
    /** Colours in series order (the colour-blind-safe "tableau" set the earlier charts used). */
    public static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xd62728), new Color(0x8c564b)};
    public static final int WIDTH = 1200;
    public static final int HEIGHT = 600;

    private Charts() {
    }

    /** One bar of a grouped bar chart: its value, the half-width of its whisker, and its label (or null). */
    public record Bar(double value, double whisker, String label) {
    }

    /**
     * Grouped bars: for each category (x) one bar per series, with a whisker of ± {@link Bar#whisker()}
     * (none when NaN) and the bar's label above it. Titles are wrapped by JFreeChart, never cut off.
     *
     * @param bars series name → category → bar (iteration order is drawing order)
     */
    public static JFreeChart bars(String title, String subtitle, String unit, Map<String, Map<String, Bar>> bars, boolean logarithmic) {
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        Map<String, Map<String, String>> labels = new java.util.HashMap<>();
        bars.forEach((series, byCategory) -> byCategory.forEach((category, bar) -> {
            data.add(Double.valueOf(bar.value()), Double.isNaN(bar.whisker()) ? null : Double.valueOf(bar.whisker()), series, category);
            labels.computeIfAbsent(series, s -> new java.util.HashMap<>()).put(category, bar.label());
        }));
        CategoryAxis categories = new CategoryAxis();
        categories.setMaximumCategoryLabelLines(3);
        categories.setCategoryLabelPositions(CategoryLabelPositions.STANDARD);
        ValueAxis values;
        if (logarithmic) {
            LogarithmicAxis log = new LogarithmicAxis(unit);
            log.setStrictValuesFlag(false);
            log.setAllowNegativesFlag(false);
            log.setExpTickLabelsFlag(false);
            values = log;
        } else {
            values = new NumberAxis(unit);
        }
        StatisticalBarRenderer renderer = new StatisticalBarRenderer();
        renderer.setErrorIndicatorPaint(Color.BLACK);
        renderer.setDrawBarOutline(false);
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.05);
        if (logarithmic) {
            renderer.setBase(0.01);
        }
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator() {
            @Override
            public String generateLabel(CategoryDataset dataset, int row, int column) {
                String label = labels.getOrDefault(dataset.getRowKey(row).toString(), Map.of()).get(dataset.getColumnKey(column).toString());
                return label == null ? "" : label;
            }
        });
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i < bars.size(); i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        CategoryPlot plot = new CategoryPlot(data, categories, values, renderer);
        return styled(new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 17), plot, true), subtitle);
    }

    /** One line per series: x → y points in order. */
    public static JFreeChart lines(String title, String subtitle, String xLabel, String yLabel, Map<String, List<double[]>> series,
                                   Map<String, Paint> paints, Map<String, float[]> dashes) {
        XYSeriesCollection data = xy(series);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        int i = 0;
        for (String name : series.keySet()) {
            renderer.setSeriesPaint(i, paints.getOrDefault(name, PALETTE[i % PALETTE.length]));
            float[] dash = dashes.get(name);
            renderer.setSeriesStroke(i, dash == null ? new BasicStroke(2f)
                    : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
            i++;
        }
        NumberAxis x = new NumberAxis(xLabel);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        NumberAxis y = new NumberAxis(yLabel);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        return styled(new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 17), plot, true), subtitle);
    }

    /** A shaded span of the time axis with its label (an injected fault, say), in the shade of its {@code kind}. */
    public record Interval(double from, double to, String label, int kind) {
    }

    private static final Color[] SHADES = {new Color(0xfde0c5), new Color(0xd8e8f8), new Color(0xe3f1d9), new Color(0xece2f4), new Color(0xf7dada)};

    /**
     * A timeline: series on a left axis and on a right axis (linear or logarithmic), over shaded, labelled
     * intervals. The soak's throughput and p99 per second, with its faults, is one.
     *
     * @param left  series on the left axis: name → points {x, y} in x order (NaN y: no point)
     * @param right series on the right axis, likewise
     */
    public static JFreeChart timeline(String title, String subtitle, String xLabel, String leftLabel, Map<String, List<double[]>> left,
                                      String rightLabel, Map<String, List<double[]>> right, boolean rightLogarithmic, List<Interval> intervals) {
        NumberAxis x = new NumberAxis(xLabel);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYPlot plot = new XYPlot(xy(left), x, new NumberAxis(leftLabel), thinLines(0, left.size()));
        ValueAxis rightAxis;
        if (rightLogarithmic) {
            LogarithmicAxis log = new LogarithmicAxis(rightLabel);
            log.setAllowNegativesFlag(false);
            log.setStrictValuesFlag(false);
            rightAxis = log;
        } else {
            rightAxis = new NumberAxis(rightLabel);
        }
        plot.setRangeAxis(1, rightAxis);
        plot.setDataset(1, xy(right));
        plot.mapDatasetToRangeAxis(1, 1);
        plot.setRenderer(1, thinLines(left.size(), right.size()));
        for (Interval interval : intervals) {
            IntervalMarker marker = new IntervalMarker(interval.from(), Math.max(interval.to(), interval.from() + 1),
                    SHADES[Math.floorMod(interval.kind(), SHADES.length)]);
            marker.setAlpha(0.6f);
            marker.setLabel(interval.label());
            marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
            marker.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            marker.setLabelTextAnchor(TextAnchor.TOP_LEFT);
            plot.addDomainMarker(marker, Layer.BACKGROUND);
        }
        return styled(new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 17), plot, true), subtitle);
    }

    private static XYSeriesCollection xy(Map<String, List<double[]>> series) {
        XYSeriesCollection data = new XYSeriesCollection();
        series.forEach((name, points) -> {
            XYSeries s = new XYSeries(name, false, true);
            points.forEach(p -> s.add(p[0], Double.isNaN(p[1]) ? null : p[1]));
            data.addSeries(s);
        });
        return data;
    }

    /** Lines without point shapes (a point a second is too dense for them), in palette order from {@code firstColour}. */
    private static XYLineAndShapeRenderer thinLines(int firstColour, int series) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < series; i++) {
            renderer.setSeriesPaint(i, PALETTE[(firstColour + i) % PALETTE.length]);
            renderer.setSeriesStroke(i, new BasicStroke(1.5f));
        }
        return renderer;
    }

    private static JFreeChart styled(JFreeChart chart, String subtitle) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(Color.WHITE);
        if (chart.getPlot() instanceof CategoryPlot category) {
            category.setRangeGridlinePaint(new Color(0xd0d0d0));
        } else if (chart.getPlot() instanceof XYPlot xy) {
            xy.setRangeGridlinePaint(new Color(0xd0d0d0));
            xy.setDomainGridlinePaint(new Color(0xe8e8e8));
        }
        if (subtitle != null && !subtitle.isEmpty()) {
            chart.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 13)));
        }
        return chart;
    }

    /** Writes {@code chart} as a PNG of the standard size. */
    public static void save(JFreeChart chart, Path file) {
        try {
            ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
