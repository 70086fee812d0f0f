package io.ciphertrail.policy.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the service did, as Prometheus counters labelled the way operators slice them (policy, rule, reason), in one
 * registry with the Kafka Streams and client metrics ({@link KafkaStreamsMetrics}). Labels never carry record content
 * or settings: only policy names, rule names, reason codes, topic names, partitions and thread names.
 */
public final class ServiceMetrics {
    /** The counters of one policy, looked up once: the gate counts every record. */
    public record PolicyCounters(CounterDataPoint checked, CounterDataPoint forwarded) {
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter text = PrometheusTextFormatWriter.create();
    private final Counter checked = counter("ciphertrail_gate_records_checked", "Records the gate checked", "policy");
    private final Counter forwarded = counter("ciphertrail_gate_records_forwarded", "Records forwarded to their egress topic", "policy");
    private final Counter quarantined = counter("ciphertrail_gate_records_quarantined", "Records quarantined", "policy", "rule", "reason");
    private final Counter warnings = counter("ciphertrail_gate_warnings",
            "Violations of permissive rules (the record was forwarded, or quarantined for another rule)", "policy", "rule", "reason");
    private final Counter trail = counter("ciphertrail_gate_trail_records",
            "Records the gate wrote to the trail topic: audit events, and compact index entries for forwarded records", "kind");
    private final Counter alerts = counter("ciphertrail_alerts", "Alerts about insecure clients");
    private final Counter blocks = counter("ciphertrail_acl_blocks", "Clients blocked with DENY ACLs");
    private final Counter unblocks = counter("ciphertrail_acl_unblocks", "Blocks lifted when their time was up");
    private final Map<String, PolicyCounters> byPolicy = new ConcurrentHashMap<>();
    private final CounterDataPoint trailEvents = trail.labelValues("event");
    private final CounterDataPoint trailIndexEntries = trail.labelValues("index_entry");

    public PrometheusRegistry registry() {
        return registry;
    }

    public PolicyCounters policy(String policy) {
        return byPolicy.computeIfAbsent(policy, p -> new PolicyCounters(checked.labelValues(p), forwarded.labelValues(p)));
    }

    public void quarantined(String policy, String rule, String reason) {
        quarantined.labelValues(policy, rule, reason).inc();
    }

    public void warning(String policy, String rule, String reason) {
        warnings.labelValues(policy, rule, reason).inc();
    }

    public void trailEvent() {
        trailEvents.inc();
    }

    public void trailIndexEntry() {
        trailIndexEntries.inc();
    }

    public void alert() {
        alerts.inc();
    }

    public void blocked() {
        blocks.inc();
    }

    public void unblocked() {
        unblocks.inc();
    }

    /** Every metric in the Prometheus text format (version 0.0.4). */
    public void write(OutputStream out) throws IOException {
        text.write(out, registry.scrape());
    }

    public String contentType() {
        return text.getContentType();
    }

    public String text() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The current value of one counter series ({@code name} with or without {@code _total}), 0 if it never counted. */
    public long value(String name, String... labels) {
        String base = name.endsWith("_total") ? name.substring(0, name.length() - "_total".length()) : name;
        Labels wanted = Labels.of(labels);
        for (MetricSnapshot snapshot : registry.scrape(base::equals)) {
            if (snapshot instanceof CounterSnapshot counters) {
                for (CounterSnapshot.CounterDataPointSnapshot point : counters.getDataPoints()) {
                    if (point.getLabels().equals(wanted)) {
                        return Math.round(point.getValue());
                    }
                }
            }
        }
        return 0;
    }

    private Counter counter(String name, String help, String... labels) {
        return Counter.builder().name(name).help(help).labelNames(labels).withoutExemplars().register(registry);
    }
}
