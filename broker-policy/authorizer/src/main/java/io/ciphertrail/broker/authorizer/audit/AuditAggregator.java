package io.ciphertrail.broker.authorizer.audit;

import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.Decision;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;

/**
 * Counts audited requests per key and window, on the request threads, without locks and without
 * building any event: one small key object per call, a map lookup and a compare-and-set. The audit
 * thread {@link #drain() drains} the counts once per window and turns them into events.
 *
 * <p>The number of distinct keys is bounded, so a client that varies resource names cannot grow the
 * broker's heap, and the last tenth of the table is a reserve: once the table holds
 * {@code max - reserve} keys, a request for a new key counts under its client's wildcard key instead
 * (same listener, address, principal, operation and outcome, resource {@code *} of its type). One request
 * naming thousands of topics then fills the table only up to the reserve, and every other client is
 * still counted, under a key of its own. Requests that find even the reserve full are counted as dropped.
 *
 * <p>Counts are exact: an aggregate that saw no request during a whole window is retired (its count
 * set to {@link #RETIRED}) before it leaves the map, and a request thread that finds a retired
 * aggregate makes a new one instead of counting into one nobody will read again.
 */
public final class AuditAggregator {
    private static final long RETIRED = -1;

    /** What one event aggregates over; everything else (client id, request type, times) is "last seen". */
    public record Key(String listener, SecurityProtocol securityProtocol, InetAddress clientAddress,
                      KafkaPrincipal principal, ResourcePattern resource, AclOperation operation,
                      AuditEventType eventType, Decision decision, boolean collapsed) {

        /** This client's key for any resource of the same type: what a request counts under when the table is nearly full. */
        Key collapse() {
            return new Key(listener, securityProtocol, clientAddress, principal,
                    new ResourcePattern(resource.resourceType(), ResourcePattern.WILDCARD_RESOURCE, PatternType.LITERAL),
                    operation, eventType, decision, true);
        }
    }

    /** One drained aggregate: {@code count} requests for {@code key} between {@code firstMs} and {@code lastMs}. */
    public record Drained(Key key, long count, long firstMs, long lastMs, String clientId, int requestType) {
    }

    private static final class Aggregate {
        final AtomicLong count = new AtomicLong();
        volatile long firstMs;
        volatile long lastMs;
        volatile String clientId;
        volatile int requestType;

        /** False if the aggregate was retired meanwhile: the caller must make a new one. */
        boolean record(long nowMs, String clientId, int requestType) {
            long current;
            do {
                current = count.get();
                if (current == RETIRED) {
                    return false;
                }
            } while (!count.compareAndSet(current, current + 1));
            if (current == 0) {
                firstMs = nowMs;
            }
            lastMs = nowMs;
            this.clientId = clientId;
            this.requestType = requestType;
            return true;
        }
    }

    private final ConcurrentHashMap<Key, Aggregate> aggregates = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int maxAggregates;
    private final int collapseAt;
    private final LongSupplier clock;
    private final AuditMetrics metrics;

    public AuditAggregator(int maxAggregates, LongSupplier clock, AuditMetrics metrics) {
        this.maxAggregates = maxAggregates;
        this.collapseAt = maxAggregates - Math.max(1, maxAggregates / 10);
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Counts one audited request. Called on the request thread: never blocks, never throws for a full table. */
    public void record(AuthorizableRequestContext context, ResourcePattern resource, AclOperation operation,
                       AuditEventType eventType, Decision decision) {
        Key key = new Key(context.listenerName(), context.securityProtocol(), context.clientAddress(),
                context.principal(), resource, operation, eventType, decision, false);
        long now = clock.getAsLong();
        String clientId = context.clientId();
        int requestType = context.requestType();
        while (true) {
            Aggregate aggregate = aggregates.get(key);
            if (aggregate == null) {
                if (!key.collapsed() && size.get() >= collapseAt) {
                    key = key.collapse();
                    metrics.requestCollapsed();
                    continue;
                }
                if (size.get() >= maxAggregates) {
                    metrics.requestDropped();
                    return;
                }
                Aggregate created = new Aggregate();
                aggregate = aggregates.putIfAbsent(key, created);
                if (aggregate == null) {
                    size.incrementAndGet();
                    aggregate = created;
                }
            }
            if (aggregate.record(now, clientId, requestType)) {
                return;
            }
        }
    }

    /**
     * Takes the counts of the window that just ended. Called by one thread at a time (the audit thread).
     * Aggregates idle for a whole window leave the map, so it holds only keys that are active.
     */
    public List<Drained> drain() {
        List<Drained> drained = new ArrayList<>();
        for (Map.Entry<Key, Aggregate> entry : aggregates.entrySet()) {
            Aggregate aggregate = entry.getValue();
            if (aggregate.count.get() == 0) {
                if (aggregate.count.compareAndSet(0, RETIRED) && aggregates.remove(entry.getKey(), aggregate)) {
                    size.decrementAndGet();
                }
                continue;
            }
            long first = aggregate.firstMs;
            String clientId = aggregate.clientId;
            int requestType = aggregate.requestType;
            long count = aggregate.count.getAndSet(0);
            long last = aggregate.lastMs;
            // A request that opened the window may not have stored its time yet: then the window starts at its end.
            long start = first > 0 && first <= last ? first : last;
            drained.add(new Drained(entry.getKey(), count, start, last, clientId, requestType));
        }
        return drained;
    }

    /** Keys currently held (active in this or the previous window). */
    public int size() {
        return size.get();
    }
}
