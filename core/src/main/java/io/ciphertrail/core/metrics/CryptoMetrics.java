package io.ciphertrail.core.metrics;

import io.ciphertrail.core.envelope.CryptoListener;
import io.ciphertrail.core.envelope.EnvelopeException;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.tls.ClientCertificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.KafkaMetricsContext;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.utils.Time;

/**
 * Ciphertrail's client metrics in Kafka's own metrics registry, reported over JMX like the client's
 * metrics ({@code io.ciphertrail:type=ciphertrail-producer-metrics,client-id=...}): records encrypted
 * and decrypted, failures by reason, data key rotations, KMS calls and their latency by operation, and
 * the time left on the client certificate with its renewals. Names carry only topics' counts and reason codes, never content.
 */
public final class CryptoMetrics implements CryptoListener, AutoCloseable {
    public static final String JMX_PREFIX = "io.ciphertrail";

    private final Metrics metrics;
    private final String group;
    private final Map<String, String> tags;
    private final RecordCounter encrypted;
    private final RecordCounter decrypted;
    private final RecordCounter rotations;

    /**
     * @param role     {@code producer}, {@code consumer}, ... (the metric group is {@code ciphertrail-<role>-metrics})
     * @param clientId the Kafka client id, as a tag
     */
    public CryptoMetrics(String role, String clientId, ClientCertificate certificate) {
        this.metrics = new Metrics(new MetricConfig(), List.of(new JmxReporter()), Time.SYSTEM,
                new KafkaMetricsContext(JMX_PREFIX));
        this.group = "ciphertrail-" + role + "-metrics";
        this.tags = Map.of("client-id", clientId == null || clientId.isEmpty() ? role : clientId);
        this.encrypted = counted("records-encrypted", "records encrypted");
        this.decrypted = counted("records-decrypted", "records decrypted and verified");
        this.rotations = counted("data-key-rotations", "new data keys put into use");
        if (certificate != null) {
            metrics.addMetric(metrics.metricName("certificate-days-left", group,
                    "Days until the client certificate expires (negative once expired)", tags),
                    (Measurable) (config, now) -> certificate.daysLeft());
            metrics.addMetric(metrics.metricName("certificate-seconds-left", group,
                    "Seconds until the client certificate expires (negative once expired): for short-lived workload certificates", tags),
                    (Measurable) (config, now) -> certificate.secondsLeft());
            metrics.addMetric(metrics.metricName("certificate-renewals-total", group,
                    "Certificates of the workload identity renewed from the trust service", tags),
                    (Measurable) (config, now) -> certificate.renewals());
            metrics.addMetric(metrics.metricName("certificate-renewal-failures-total", group,
                    "Failed attempts to renew the workload identity's certificate (each is retried with back-off)", tags),
                    (Measurable) (config, now) -> certificate.renewalFailures());
        }
    }

    private RecordCounter counted(String name, String what) {
        RecordCounter counter = new RecordCounter(Time.SYSTEM.milliseconds());
        metrics.addMetric(metrics.metricName(name + "-total", group, "Total " + what, tags), counter.total());
        metrics.addMetric(metrics.metricName(name + "-rate", group, "Per-second rate of " + what, tags), counter.rate());
        return counter;
    }

    @Override
    public void recordEncrypted(String topic, int plaintextBytes, int envelopeBytes) {
        encrypted.increment();
    }

    @Override
    public void recordDecrypted(String topic, int envelopeBytes) {
        decrypted.increment();
    }

    @Override
    public void recordFailed(String topic, EnvelopeException.Reason reason) {
        count("record-failures", "Records that failed, by reason", "reason", reason.name());
    }

    @Override
    public void recordPassedThrough(String topic, EnvelopeException.Reason reason) {
        count("records-passed-through",
                "Records (or parts of them) handed over unverified under a migration setting, by what they would have failed with",
                "reason", reason.name());
    }

    @Override
    public void dataKeyRotated(String topic, KekRef kek) {
        rotations.increment();
    }

    @Override
    public void kmsCall(KmsOperation operation, long nanos, boolean success) {
        String op = operation.name().toLowerCase(java.util.Locale.ROOT);
        labelled("kms-calls", "operation", op, (sensor, labels) -> {
            sensor.add(metrics.metricName("kms-calls-total", group, "KMS calls, by operation", labels), new CumulativeCount());
            sensor.add(metrics.metricName("kms-latency-avg-ms", group, "Average KMS call latency", labels), new Avg());
            sensor.add(metrics.metricName("kms-latency-max-ms", group, "Longest KMS call latency", labels), new Max());
        }).record(nanos / (double) TimeUnit.MILLISECONDS.toNanos(1));
        if (!success) {
            count("kms-failures", "Failed KMS calls, by operation", "operation", op);
        }
    }

    /**
     * Counts one event in {@code <name>-total}, tagged {@code label=value}: the form of every labelled
     * counter here, also for what a client adds (a share consumer's acknowledgements by type). Labels
     * carry codes, never content.
     */
    public void count(String name, String description, String label, String value) {
        labelled(name, label, value, (sensor, labels) -> sensor.add(
                metrics.metricName(name + "-total", group, description, labels), new CumulativeCount())).record();
    }

    /** The sensor for one label value, created with its metrics on first use. */
    private Sensor labelled(String name, String label, String value, java.util.function.BiConsumer<Sensor, Map<String, String>> init) {
        String sensorName = group + "." + name + "." + value;
        Sensor sensor = metrics.getSensor(sensorName);
        if (sensor != null) {
            return sensor;
        }
        synchronized (this) {
            sensor = metrics.getSensor(sensorName);
            if (sensor == null) {
                sensor = metrics.sensor(sensorName);
                Map<String, String> labels = new java.util.LinkedHashMap<>(tags);
                labels.put(label, value);
                init.accept(sensor, labels);
            }
            return sensor;
        }
    }

    /** Every metric. */
    public Map<MetricName, KafkaMetric> metrics() {
        return metrics.metrics();
    }

    /** A client's own metrics and these together, for {@code Producer.metrics()} and {@code Consumer.metrics()}. */
    public Map<MetricName, Metric> withClientMetrics(Map<MetricName, ? extends Metric> client) {
        Map<MetricName, Metric> all = new java.util.HashMap<>(client);
        all.putAll(metrics.metrics());
        return all;
    }

    @Override
    public void close() {
        metrics.close();
    }
}
