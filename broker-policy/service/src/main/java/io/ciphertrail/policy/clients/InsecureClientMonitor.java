package io.ciphertrail.policy.clients;

import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.policy.ServiceMetrics;
import io.ciphertrail.policy.audit.AuditCodec;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Follows insecure clients over time: reads the broker authorizer's audit events, counts insecure
 * attempts (plaintext or anonymous requests) per client address and principal in tumbling windows,
 * and raises an alert on {@code ciphertrail.alerts.topic} when a window reaches the threshold.
 * Internal topics hold only addresses, principal names and counts.
 */
public final class InsecureClientMonitor {
    private static final Set<String> INSECURE_PROTOCOLS = Set.of("PLAINTEXT", "SASL_PLAINTEXT");

    private InsecureClientMonitor() {
    }

    public static void addTo(StreamsBuilder builder, PolicyServiceConfig config, Map<String, Object> clientConfigs, ServiceMetrics metrics) {
        long threshold = config.getLong(PolicyServiceConfig.ALERT_THRESHOLD_CONFIG);
        Duration window = Duration.ofMillis(config.getLong(PolicyServiceConfig.ALERT_WINDOW_MS_CONFIG));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(InsecureClientAlerts.BLOCKS_STORE),
                Serdes.String(), Serdes.String()));
        builder.stream(config.getString(PolicyServiceConfig.AUDIT_TOPIC_CONFIG), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .flatMap((key, value) -> AuditCodec.decode(value)
                        .filter(InsecureClientMonitor::insecure)
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
                        Duration.ofMillis(config.getLong(PolicyServiceConfig.BLOCK_DURATION_MS_CONFIG)),
                        () -> new AclBlocker(clientConfigs), metrics), InsecureClientAlerts.BLOCKS_STORE)
                .to(config.getString(PolicyServiceConfig.ALERTS_TOPIC_CONFIG), Produced.with(Serdes.String(), Serdes.ByteArray()));
    }

    /** A request over an insecure transport (whatever was decided), or a TLS request without a client certificate. */
    static boolean insecure(AuditEvent event) {
        return event.getAuthorization() != null
                && (INSECURE_PROTOCOLS.contains(event.getAuthorization().getSecurityProtocol())
                || event.getEventType() == AuditEventType.ANONYMOUS_REQUEST_DENIED);
    }

    private static KeyValue<String, Long> attempt(AuditEvent event) {
        var authorization = event.getAuthorization();
        return KeyValue.pair(InsecureClientAlerts.key(authorization.getClientAddress(), authorization.getPrincipal()),
                Math.max(1, authorization.getCount()));
    }
}
