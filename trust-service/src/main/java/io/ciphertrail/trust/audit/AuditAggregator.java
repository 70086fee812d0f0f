package io.ciphertrail.trust.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Counts audited operations per key within a window. Counts are exact: a count is added and a window's aggregate
 * taken out under the map's per-key lock, so an operation lands in exactly one window. The number of distinct keys
 * per window is bounded; operations of a new key beyond the bound are counted as dropped (a metric), so no caller
 * can grow the service's heap through the audit trail.
 *
 * @param <K> what makes two operations equal (a record of every field the event shows)
 */
final class AuditAggregator<K> {

    /** {@code count} operations equal to {@code key} between {@code firstMs} and {@code lastMs}. */
    record Aggregate<K>(K key, long count, long firstMs, long lastMs) {
    }

    private final ConcurrentHashMap<K, Aggregate<K>> aggregates = new ConcurrentHashMap<>();
    private final int maxAggregates;
    private final LongSupplier clock;
    private final AtomicLong dropped;

    AuditAggregator(int maxAggregates, LongSupplier clock, AtomicLong dropped) {
        this.maxAggregates = maxAggregates;
        this.clock = clock;
        this.dropped = dropped;
    }

    void record(K key) {
        long now = clock.getAsLong();
        if (!aggregates.containsKey(key) && aggregates.size() >= maxAggregates) {
            dropped.incrementAndGet();
            return;
        }
        aggregates.merge(key, new Aggregate<>(key, 1, now, now),
                (old, one) -> new Aggregate<>(key, old.count() + 1, old.firstMs(), Math.max(old.lastMs(), now)));
    }

    /** Takes out everything counted so far. */
    List<Aggregate<K>> drain() {
        List<Aggregate<K>> drained = new ArrayList<>();
        for (K key : aggregates.keySet()) {
            Aggregate<K> aggregate = aggregates.remove(key);
            if (aggregate != null) {
                drained.add(aggregate);
            }
        }
        return drained;
    }
}
