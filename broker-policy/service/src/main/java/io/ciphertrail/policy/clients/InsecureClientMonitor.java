package io.ciphertrail.policy.clients;

import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.policy.audit.AuditCodec;
import io.ciphertrail.policy.metrics.ServiceMetrics;
import io.ciphertrail.schemas.audit.AuditEvent;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Follows insecure clients over time: reads the broker authorizers' audit events (only those
 * {@link TrustedAuditEvents} accepts), counts insecure attempts (plaintext or anonymous requests) per
 * client address and principal in tumbling windows, and raises an alert on {@code ciphertrail.alerts.topic}
 * when a window reaches the threshold. Internal topics hold only addresses, principal names and counts.
 */
public final class InsecureClientMonitor {

    private InsecureClientMonitor() {
    }

    /**
     * @param clusterId the cluster whose brokers' events count
     * @param blocker   places and lifts DENY ACLs (also lifts blocks of an earlier run when blocking is now off)
     */
    public static void addTo(StreamsBuilder builder, PolicyServiceConfig config, String clusterId, AclBlocker blocker, ServiceMetrics metrics) {
        long threshold = config.getLong(PolicyServiceConfig.ALERT_THRESHOLD_CONFIG);
        Duration window = Duration.ofMillis(config.getLong(PolicyServiceConfig.ALERT_WINDOW_MS_CONFIG));
        TrustedAuditEvents trusted = new TrustedAuditEvents(clusterId,
                new HashSet<>(config.getList(PolicyServiceConfig.ALERTS_EXEMPT_LISTENERS_CONFIG)));
        builder.stream(config.getString(PolicyServiceConfig.AUDIT_TOPIC_CONFIG), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .flatMap((key, value) -> AuditCodec.decode(value)
                        .filter(event -> trusted.insecureAttempt(key, event))
                        .map(InsecureClientMonitor::attempt)
                        .map(List::of)
                        .orElse(List.of()))
                .groupByKey(Grouped.with("insecure-clients", Serdes.String(), Serdes.Long()))
                .windowedBy(TimeWindows.ofSizeWithNoGrace(window))
                .aggregate(() -> WindowCount.ZERO, (client, attempts, count) -> count.add(attempts, threshold),
                        // No caching: an update that crossed the threshold must not be merged away.
                        Materialized.<String, WindowCount, WindowStore<Bytes, byte[]>>as("insecure-attempts")
                                .withKeySerde(Serdes.String()).withValueSerde(WindowCount.serde()).withCachingDisabled())
                .toStream()
                .process(() -> new InsecureClientAlerts(threshold, config.getBoolean(PolicyServiceConfig.BLOCK_ENABLED_CONFIG),
                        Duration.ofMillis(config.getLong(PolicyServiceConfig.BLOCK_DURATION_MS_CONFIG)), blocker, metrics))
                .to(config.getString(PolicyServiceConfig.ALERTS_TOPIC_CONFIG), Produced.with(Serdes.String(), Serdes.ByteArray()));
    }

    private static KeyValue<String, Long> attempt(AuditEvent event) {
        var authorization = event.getAuthorization();
        return KeyValue.pair(InsecureClientAlerts.key(authorization.getClientAddress(), authorization.getPrincipal()),
                Math.max(1, authorization.getCount()));
    }
}
