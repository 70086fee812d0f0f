package io.ciphertrail.trust.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Counts key operations per {@link KeyUse} within a window. Counts are exact: a count is added and a
 * window's aggregate taken out under the map's per-key lock, so an operation lands in exactly one window.
 * The number of distinct keys per window is bounded; operations of a new key beyond the bound are counted
 * as dropped (a metric), so no caller can grow the service's heap through the audit trail.
 */
final class KeyUseAggregator {

    /** {@code count} operations equal to {@code use} between {@code firstMs} and {@code lastMs}. */
    record Aggregate(KeyUse use, long count, long firstMs, long lastMs) {
    }

    private final ConcurrentHashMap<KeyUse, Aggregate> aggregates = new ConcurrentHashMap<>();
    private final int maxAggregates;
    private final LongSupplier clock;
    private final AtomicLong dropped = new AtomicLong();

    KeyUseAggregator(int maxAggregates, LongSupplier clock) {
        this.maxAggregates = maxAggregates;
        this.clock = clock;
    }

    void record(KeyUse use) {
        long now = clock.getAsLong();
        if (!aggregates.containsKey(use) && aggregates.size() >= maxAggregates) {
            dropped.incrementAndGet();
            return;
        }
        aggregates.merge(use, new Aggregate(use, 1, now, now),
                (old, one) -> new Aggregate(use, old.count() + 1, old.firstMs(), Math.max(old.lastMs(), now)));
    }

    /** Takes out everything counted so far. */
    List<Aggregate> drain() {
        List<Aggregate> drained = new ArrayList<>();
        for (KeyUse use : aggregates.keySet()) {
            Aggregate aggregate = aggregates.remove(use);
            if (aggregate != null) {
                drained.add(aggregate);
            }
        }
        return drained;
    }

    long dropped() {
        return dropped.get();
    }
}
