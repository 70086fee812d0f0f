package io.ciphertrail.bench.e2e;

/** Reads counters from the Prometheus text format. */
final class PrometheusText {
    private PrometheusText() {
    }

    /** The sum of every sample of {@code metric}, whatever its labels; 0 when absent. */
    static long sum(String text, String metric) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(metric)) {
                continue;
            }
            String rest = line.substring(metric.length());
            if (!rest.startsWith("{") && !rest.startsWith(" ")) {
                continue; // another metric whose name starts the same way
            }
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return Math.round(sum);
    }
}
