package io.ciphertrail.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A timeline drawn with JFreeChart (headless PNG): per-second series on a left axis and on a right axis
 * (linear or logarithmic), over shaded, labelled intervals that mark events such as injected faults. The
 * soak's throughput-and-p99 chart is one; any run that reports per second can draw another.
 */
public final class TimelineChart {
    private static final Color[] LEFT = {new Color(0x1f77b4), new Color(0x2ca02c)};
    private static final Color[] RIGHT = {new Color(0xd62728), new Color(0xff7f0e)};
    private static final Color[] SHADES = {new Color(0xfde0c5), new Color(0xd8e8f8), new Color(0xe3f1d9), new Color(0xece2f4), new Color(0xf7dada)};

    private TimelineChart() {
    }

    /** A shaded span of the time axis with its label, in the shade of its {@code kind} (0, 1, 2, ...). */
    public record Interval(double from, double to, String label, int kind) {
    }

    /**
     * @param left  series on the left axis: name → points {x, y} in x order (NaN y: no point)
     * @param right series on the right axis, likewise
     */
    public static JFreeChart create(String title, String subtitle, String timeLabel, String leftLabel, Map<String, List<double[]>> left,
                                    String rightLabel, Map<String, List<double[]>> right, boolean rightLogarithmic, List<Interval> intervals) {
        NumberAxis time = new NumberAxis(timeLabel);
        time.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        NumberAxis leftAxis = new NumberAxis(leftLabel);
        XYPlot plot = new XYPlot(dataset(left), time, leftAxis, renderer(LEFT, left.size()));
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
        plot.setDataset(1, dataset(right));
        plot.mapDatasetToRangeAxis(1, 1);
        plot.setRenderer(1, renderer(RIGHT, right.size()));
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
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xd0d0d0));
        plot.setDomainGridlinePaint(new Color(0xe8e8e8));
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 17), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        if (subtitle != null && !subtitle.isEmpty()) {
            chart.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 13)));
        }
        return chart;
    }

    private static XYSeriesCollection dataset(Map<String, List<double[]>> series) {
        XYSeriesCollection data = new XYSeriesCollection();
        series.forEach((name, points) -> {
            XYSeries line = new XYSeries(name, false, true);
            points.forEach(p -> line.add(p[0], Double.isNaN(p[1]) ? null : p[1]));
            data.addSeries(line);
        });
        return data;
    }

    private static XYLineAndShapeRenderer renderer(Color[] colours, int series) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < series; i++) {
            renderer.setSeriesPaint(i, colours[i % colours.length]);
            renderer.setSeriesStroke(i, new BasicStroke(1.5f));
        }
        return renderer;
    }

    /** Writes {@code chart} as a PNG. */
    public static void save(JFreeChart chart, Path file, int width, int height) {
        try {
            ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
