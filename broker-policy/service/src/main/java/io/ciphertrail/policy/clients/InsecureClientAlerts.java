package io.ciphertrail.policy.clients;

import io.ciphertrail.policy.audit.EventIds;
import io.ciphertrail.policy.metrics.ServiceMetrics;
import io.ciphertrail.schemas.alert.Alert;
import io.ciphertrail.schemas.alert.AlertAction;
import io.ciphertrail.schemas.alert.AlertType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a client crossing the insecure-attempt threshold into an {@link Alert} (key: client address)
 * and, with blocking on, DENY ACLs for that principal on that host until the block expires. What the
 * {@link AclBlocker} places is recorded in the service's blocks topic, so a restarted service still lifts
 * the ones it placed, and only those.
 */
final class InsecureClientAlerts implements Processor<Windowed<String>, WindowCount, String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(InsecureClientAlerts.class);

    private final long threshold;
    private final boolean blockEnabled;
    private final Duration blockDuration;
    private final AclBlocker blocker;
    private final ServiceMetrics metrics;
    private ProcessorContext<String, byte[]> context;

    InsecureClientAlerts(long threshold, boolean blockEnabled, Duration blockDuration, AclBlocker blocker, ServiceMetrics metrics) {
        this.threshold = threshold;
        this.blockEnabled = blockEnabled;
        this.blockDuration = blockDuration;
        this.blocker = blocker;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        // Also when blocking is off now: blocks an earlier run placed still expire.
        Duration every = Duration.ofMillis(Math.max(500, Math.min(5_000, blockDuration.toMillis() / 4)));
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::liftExpiredBlocks);
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
        String principal = client.length > 1 ? client[1] : "";
        long now = context.currentSystemTimeMs();
        AlertAction action = AlertAction.NONE;
        Instant blockedUntil = null;
        String message = record.value().count() + " insecure requests from " + principal + " at " + host
                + " within " + Duration.between(record.key().window().startTime(), record.key().window().endTime()).toSeconds()
                + " s; move this client to the TLS listener with a client certificate";
        if (blockEnabled) {
            Optional<String> never = blocker.unblockable().why(principal, host);
            if (never.isPresent()) {
                message += "; not blocked: " + never.get();
                LOG.warn("Not blocking {} on {}: {}", principal, host, never.get());
            } else {
                try {
                    blockedUntil = Instant.ofEpochMilli(now + blockDuration.toMillis());
                    blocker.block(principal, host, blockedUntil.toEpochMilli());
                    action = AlertAction.BLOCKED;
                    message += "; DENY ACLs placed for " + principal + " on " + host + " until " + blockedUntil;
                    metrics.blocked();
                    LOG.warn("Blocked {} on {} until {}", principal, host, blockedUntil);
                } catch (RuntimeException e) {
                    blockedUntil = null;
                    LOG.error("Could not block {} on {}: {}", principal, host, e.getMessage());
                    message += "; blocking failed: " + e.getMessage();
                }
            }
        }
        Alert alert = Alert.newBuilder()
                .setId(EventIds.random())
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
        metrics.alert();
        LOG.warn("Alert: {}", message);
        context.forward(new Record<>(host, encode(alert), now));
    }

    private void liftExpiredBlocks(long now) {
        int lifted = blocker.liftExpired(now);
        for (int i = 0; i < lifted; i++) {
            metrics.unblocked();
        }
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
}
