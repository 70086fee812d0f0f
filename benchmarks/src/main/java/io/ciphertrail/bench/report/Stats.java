package io.ciphertrail.bench.report;

import java.util.Arrays;
import java.util.List;

/** Percentiles and summaries, computed the same way everywhere. */
public final class Stats {
    private Stats() {
    }

    /**
     * The nearest-rank percentile of {@code sorted} (ascending): the smallest sample such that at least
     * {@code p} percent of all samples are less than or equal to it. {@code p} in (0, 100].
     */
    public static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("No samples");
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("Percentile must be in (0, 100], got " + p);
        }
        // the small tolerance keeps binary rounding (0.99 * 100 = 99.00000000000001) from skipping a rank
        int rank = (int) Math.ceil(p / 100.0 * sorted.length - 1e-9);
        return sorted[Math.max(rank, 1) - 1];
    }

    /** Sorted copy of the samples at or above index {@code from}, leaving out negative values (no sample). */
    public static long[] sortedFrom(long[] samples, int from) {
        long[] kept = Arrays.stream(samples, Math.min(from, samples.length), samples.length).filter(v -> v >= 0).toArray();
        Arrays.sort(kept);
        return kept;
    }

    /**
     * The {@code p} percentile of each consecutive window of {@code window} samples in {@code [from, to)},
     * leaving out negative values (no sample); -1 for a window with none.
     */
    public static long[] percentilePerWindow(long[] samples, int from, int to, int window, double p) {
        int end = Math.min(to, samples.length);
        int windows = Math.max(0, (end - from + window - 1) / window);
        long[] result = new long[windows];
        for (int w = 0; w < windows; w++) {
            int start = from + w * window;
            long[] kept = Arrays.stream(samples, start, Math.min(start + window, end)).filter(v -> v >= 0).toArray();
            Arrays.sort(kept);
            result[w] = kept.length == 0 ? -1 : percentile(kept, p);
        }
        return result;
    }

    /** The median: the middle value, or the mean of the two middle values. */
    public static double median(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("No values");
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    public static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }

    /** {@code value / baseline}, or NaN when the baseline is zero or missing. */
    public static double ratio(double value, double baseline) {
        return baseline == 0 || Double.isNaN(baseline) || Double.isNaN(value) ? Double.NaN : value / baseline;
    }

    /** Half the spread between the extremes, relative to the median, in percent: the noise between rounds. */
    public static double spreadPercent(double median, double min, double max) {
        return median == 0 ? 0 : (max - min) / 2 / Math.abs(median) * 100;
    }
}
