package io.ciphertrail.policy.clients;

import io.ciphertrail.policy.ServiceMetrics;
import io.ciphertrail.schemas.alert.Alert;
import io.ciphertrail.schemas.alert.AlertAction;
import io.ciphertrail.schemas.alert.AlertType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a client crossing the insecure-attempt threshold into an {@link Alert} (key: client address)
 * and, with blocking on, DENY ACLs for that principal on that host until the block expires. Blocks are
 * kept in a changelogged store, so a restarted service still lifts the ones it placed.
 */
final class InsecureClientAlerts implements Processor<Windowed<String>, WindowCount, String, byte[]> {
    static final String BLOCKS_STORE = "ciphertrail-blocks";
    private static final Logger LOG = LoggerFactory.getLogger(InsecureClientAlerts.class);

    private final long threshold;
    private final boolean blockEnabled;
    private final Duration blockDuration;
    private final Supplier<AclBlocker> blockers;
    private final ServiceMetrics metrics;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, String> blocks;
    private AclBlocker blocker;

    InsecureClientAlerts(long threshold, boolean blockEnabled, Duration blockDuration, Supplier<AclBlocker> blockers, ServiceMetrics metrics) {
        this.threshold = threshold;
        this.blockEnabled = blockEnabled;
        this.blockDuration = blockDuration;
        this.blockers = blockers;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.blocks = context.getStateStore(BLOCKS_STORE);
        if (blockEnabled) {
            Duration every = Duration.ofMillis(Math.max(500, Math.min(5_000, blockDuration.toMillis() / 4)));
            context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::liftExpiredBlocks);
        }
    }

    /** Key: "clientAddress|principal", as counted by the monitor. */
    static String key(String clientAddress, String principal) {
        return clientAddress + "|" + principal;
    }

    @Override
    public void process(Record<Windowed<String>, WindowCount> record) {
        if (record.value() == null || !record.value().crossed()) {
            return;
        }
        String[] client = record.key().key().split("\\|", 2);
        String host = client[0];
        String principal = client.length > 1 ? client[1] : "User:ANONYMOUS";
        long now = context.currentSystemTimeMs();
        AlertAction action = AlertAction.NONE;
        Instant blockedUntil = null;
        String message = record.value().count() + " insecure requests from " + principal + " at " + host
                + " within " + Duration.between(record.key().window().startTime(), record.key().window().endTime()).toSeconds()
                + " s; move this client to the TLS listener with a client certificate";
        if (blockEnabled) {
            try {
                List<AclBinding> created = blocker().block(principal, host);
                blockedUntil = Instant.ofEpochMilli(now + blockDuration.toMillis());
                String previous = blocks.get(key(host, principal));
                blocks.put(key(host, principal), encode(blockedUntil.toEpochMilli(), merge(previous, created)));
                action = AlertAction.BLOCKED;
                message += "; DENY ACLs placed for " + principal + " on " + host + " until " + blockedUntil;
                metrics.increment("ciphertrail_acl_blocks_total", "Clients blocked with DENY ACLs");
                LOG.warn("Blocked {} on {} until {}", principal, host, blockedUntil);
            } catch (RuntimeException e) {
                LOG.error("Could not block {} on {}: {}", principal, host, e.getMessage());
                message += "; blocking failed: " + e.getMessage();
            }
        }
        Alert alert = Alert.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setTime(Instant.ofEpochMilli(now))
                .setType(AlertType.INSECURE_CLIENT)
                .setClientAddress(host)
                .setPrincipal(principal)
                .setAttempts(record.value().count())
                .setThreshold(threshold)
                .setWindowStart(record.key().window().startTime())
                .setWindowEnd(record.key().window().endTime())
                .setAction(action)
                .setBlockedUntil(blockedUntil)
                .setMessage(message)
                .build();
        metrics.increment("ciphertrail_alerts_total", "Alerts about insecure clients");
        LOG.warn("Alert: {}", message);
        context.forward(new Record<>(host, encode(alert), now));
    }

    private void liftExpiredBlocks(long now) {
        List<KeyValue<String, String>> expired = new ArrayList<>();
        try (KeyValueIterator<String, String> all = blocks.all()) {
            all.forEachRemaining(entry -> {
                if (Long.parseLong(entry.value.split(";", 2)[0]) <= now) {
                    expired.add(entry);
                }
            });
        }
        for (KeyValue<String, String> entry : expired) {
            String[] client = entry.key.split("\\|", 2);
            try {
                blocker().unblock(decode(entry.value, client[1], client[0]));
                blocks.delete(entry.key);
                metrics.increment("ciphertrail_acl_unblocks_total", "Blocks lifted when their time was up");
                LOG.info("Block of {} on {} expired; the DENY ACLs this service placed are removed", client[1], client[0]);
            } catch (RuntimeException e) {
                LOG.error("Could not lift the block of {} on {} (will retry): {}", client[1], client[0], e.getMessage());
            }
        }
    }

    private AclBlocker blocker() {
        if (blocker == null) {
            blocker = blockers.get();
        }
        return blocker;
    }

    /** "expiry;TOPIC,GROUP,...": when the block ends and which resource types' bindings this service created. */
    private static String encode(long expiry, List<String> resourceTypes) {
        return expiry + ";" + String.join(",", resourceTypes);
    }

    private static List<String> merge(String previous, List<AclBinding> created) {
        List<String> types = new ArrayList<>();
        if (previous != null) {
            String[] parts = previous.split(";", 2);
            if (parts.length > 1 && !parts[1].isEmpty()) {
                types.addAll(Arrays.asList(parts[1].split(",")));
            }
        }
        created.forEach(b -> {
            if (!types.contains(b.pattern().resourceType().name())) {
                types.add(b.pattern().resourceType().name());
            }
        });
        return types;
    }

    private static List<AclBinding> decode(String value, String principal, String host) {
        String[] parts = value.split(";", 2);
        List<String> types = parts.length > 1 && !parts[1].isEmpty() ? Arrays.asList(parts[1].split(",")) : List.of();
        return AclBlocker.bindings(principal, host).stream()
                .filter(b -> types.contains(b.pattern().resourceType().name()))
                .toList();
    }

    private static byte[] encode(Alert alert) {
        try {
            ByteBuffer buffer = alert.toByteBuffer();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (blocker != null) {
            blocker.close();
        }
    }
}
