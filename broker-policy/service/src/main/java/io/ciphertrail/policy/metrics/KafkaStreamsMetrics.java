package io.ciphertrail.policy.metrics;

import io.ciphertrail.policy.delivery.WriteFailures;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.BinaryOperator;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The Kafka Streams and client metrics an operator of the gate watches, read from {@link KafkaStreams#metrics()} at
 * each scrape and exposed beside the gate's own: lag per ingress partition, commit latency and count per stream
 * thread, the time its commits spend flushing, sending offsets and ending transactions, transactions committed and
 * aborted, the producer's retries and errors, and whether writing is held up (RETRYING on /health). A chosen few,
 * named for Prometheus, rather than all of Kafka's hundreds: labels are topic, partition, thread and commit phase
 * names only.
 */
public final class KafkaStreamsMetrics {
    private static final String THREAD_MARK = "StreamThread-";
    /** The producer's cumulative time per commit phase, in the order a commit runs them. */
    private static final List<Map.Entry<String, String>> COMMIT_PHASES = List.of(Map.entry("flush", "flush-time-ns-total"),
            Map.entry("offsets", "txn-send-offsets-time-ns-total"), Map.entry("end", "txn-commit-time-ns-total"));

    private KafkaStreamsMetrics() {
    }

    /**
     * @param metrics      the Streams client's metrics ({@code streams::metrics})
     * @param state        the Streams client's state
     * @param transactions transactions its producers committed and aborted
     * @param writes       how writing goes
     */
    public static void register(PrometheusRegistry registry, Supplier<Map<MetricName, ? extends Metric>> metrics,
                                Supplier<KafkaStreams.State> state, TransactionCounts transactions, Supplier<WriteFailures.Report> writes) {
        GaugeWithCallback.builder().name("ciphertrail_streams_running").help("1 while Kafka Streams is RUNNING, 0 otherwise")
                .callback(cb -> cb.call(state.get() == KafkaStreams.State.RUNNING ? 1 : 0)).register(registry);
        GaugeWithCallback.builder().name("ciphertrail_streams_records_lag")
                .help("Records in an input partition the gate (or the monitor) has not read yet")
                .labelNames("topic", "partition")
                .callback(cb -> collect(metrics, "consumer-fetch-manager-metrics", "records-lag", true, Double::sum,
                        (labels, value) -> cb.call(value, labels))).register(registry);
        GaugeWithCallback.builder().name("ciphertrail_streams_records_lag_max")
                .help("The largest lag of any input partition over the last sample window")
                .callback(cb -> {
                    double max = 0;
                    for (Map.Entry<MetricName, ? extends Metric> entry : metrics.get().entrySet()) {
                        if (entry.getKey().name().equals("records-lag-max") && mainConsumer(entry.getKey())) {
                            max = Math.max(max, value(entry.getValue()));
                        }
                    }
                    cb.call(max);
                }).register(registry);
        GaugeWithCallback.builder().name("ciphertrail_streams_commit_latency_avg_seconds")
                .help("Average time a commit (flush, offsets, end of transaction) took, per stream thread").labelNames("thread")
                .callback(cb -> collect(metrics, "stream-thread-metrics", "commit-latency-avg", false, Math::max,
                        (labels, value) -> cb.call(value / 1000, labels))).register(registry);
        GaugeWithCallback.builder().name("ciphertrail_streams_commit_latency_max_seconds")
                .help("Longest commit over the last sample window, per stream thread").labelNames("thread")
                .callback(cb -> collect(metrics, "stream-thread-metrics", "commit-latency-max", false, Math::max,
                        (labels, value) -> cb.call(value / 1000, labels))).register(registry);
        CounterWithCallback.builder().name("ciphertrail_streams_commits").help("Commits per stream thread").labelNames("thread")
                .callback(cb -> collect(metrics, "stream-thread-metrics", "commit-total", false, Double::sum,
                        (labels, value) -> cb.call(value, labels))).register(registry);
        CounterWithCallback.builder().name("ciphertrail_streams_commit_phase_seconds")
                .help("Time the stream threads' producers spent in each phase of a commit, one after the other: flush (wait for every"
                        + " batch of the transaction), offsets (send the consumed offsets), end (write the end of the transaction)")
                .labelNames("thread", "phase")
                .callback(cb -> COMMIT_PHASES.forEach(phase -> collect(metrics, "producer-metrics", phase.getValue(), false, Double::sum,
                        (labels, nanos) -> cb.call(nanos / 1e9, labels[0], phase.getKey())))).register(registry);
        CounterWithCallback.builder().name("ciphertrail_streams_records_processed").help("Records processed per stream thread")
                .labelNames("thread")
                .callback(cb -> collect(metrics, "stream-thread-metrics", "process-total", false, Double::sum,
                        (labels, value) -> cb.call(value, labels))).register(registry);
        CounterWithCallback.builder().name("ciphertrail_streams_transactions")
                .help("Transactions the service's producers ended, by outcome; an abort means the records since the last commit are"
                        + " processed again").labelNames("outcome")
                .callback(cb -> {
                    cb.call(transactions.committed(), "committed");
                    cb.call(transactions.aborted(), "aborted");
                }).register(registry);
        CounterWithCallback.builder().name("ciphertrail_streams_producer_retries")
                .help("Record batches the service's producers sent again after a retriable error").labelNames("thread")
                .callback(cb -> collect(metrics, "producer-metrics", "record-retry-total", false, Double::sum,
                        (labels, value) -> cb.call(value, labels))).register(registry);
        CounterWithCallback.builder().name("ciphertrail_streams_producer_errors")
                .help("Record batches the service's producers could not send").labelNames("thread")
                .callback(cb -> collect(metrics, "producer-metrics", "record-error-total", false, Double::sum,
                        (labels, value) -> cb.call(value, labels))).register(registry);
        GaugeWithCallback.builder().name("ciphertrail_writes_retrying")
                .help("1 while the service cannot write (an output topic missing or closed to it) or retries a failed write; /health"
                        + " says RETRYING meanwhile").callback(cb -> cb.call(writes.get().status() == WriteFailures.Status.RETRYING ? 1 : 0))
                .register(registry);
        CounterWithCallback.builder().name("ciphertrail_write_failures").help("Writes that failed or could not happen, since start")
                .callback(cb -> cb.call(writes.get().failures())).register(registry);
    }

    /**
     * Each value of the metric {@code group}/{@code name}, merged per label set: labels are topic and partition for
     * per-partition metrics, the stream thread otherwise. Per-partition metrics come from the main consumers only.
     */
    private static void collect(Supplier<Map<MetricName, ? extends Metric>> metrics, String group, String name, boolean perPartition,
                                BinaryOperator<Double> merge, BiConsumer<String[], Double> sink) {
        Map<String, Double> merged = new TreeMap<>();
        for (Map.Entry<MetricName, ? extends Metric> entry : metrics.get().entrySet()) {
            MetricName metric = entry.getKey();
            if (!metric.group().equals(group) || !metric.name().equals(name)) {
                continue;
            }
            double value = value(entry.getValue());
            if (Double.isNaN(value)) {
                continue;
            }
            String key;
            if (perPartition) {
                if (!mainConsumer(metric) || metric.tags().get("topic") == null || metric.tags().get("partition") == null) {
                    continue;
                }
                key = metric.tags().get("topic") + "\u0000" + metric.tags().get("partition");
            } else {
                key = thread(metric.tags().getOrDefault("thread-id", metric.tags().getOrDefault("client-id", "")));
            }
            merged.merge(key, value, merge);
        }
        merged.forEach((key, value) -> sink.accept(key.split("\u0000", -1), value));
    }

    /** The main consumer of a stream thread ({@code <client>-StreamThread-N-consumer}), not a restore or global one. */
    private static boolean mainConsumer(MetricName metric) {
        String client = metric.tags().getOrDefault("client-id", "");
        return client.contains(THREAD_MARK) && client.endsWith("-consumer") && !client.endsWith("-restore-consumer");
    }

    /** {@code StreamThread-N} out of a thread or client id; the id's tail otherwise. */
    static String thread(String id) {
        int at = id.lastIndexOf(THREAD_MARK);
        if (at < 0) {
            return id.endsWith("-producer") || id.endsWith("-consumer") ? id.substring(id.lastIndexOf('-') + 1) : id;
        }
        String rest = id.substring(at);
        int end = THREAD_MARK.length();
        while (end < rest.length() && Character.isDigit(rest.charAt(end))) {
            end++;
        }
        return rest.substring(0, end);
    }

    private static double value(Metric metric) {
        return metric.metricValue() instanceof Number number ? number.doubleValue() : Double.NaN;
    }
}
