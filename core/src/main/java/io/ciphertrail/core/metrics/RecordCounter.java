package io.ciphertrail.core.metrics;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.MetricConfig;

/**
 * A count of something that happens for every record (records encrypted, decrypted), published as {@code <name>-total}
 * and {@code <name>-rate}. Counting takes no lock: a Kafka {@code Sensor} takes two locks and reads the clock on every
 * {@code record()}, which cost 70–160 ns per record, as much as the rest of a small record's envelope, and made the
 * decryption threads of one consumer wait for each other. The work moves to the rare reads of the metrics.
 */
final class RecordCounter {
    private final LongAdder count = new LongAdder();
    private final Rate rate;

    RecordCounter(long nowMs) {
        this.rate = new Rate(nowMs);
    }

    void increment() {
        count.increment();
    }

    /** The exact total so far. */
    Measurable total() {
        return (config, now) -> count.sum();
    }

    /** Events per second over at least the metric window ({@code samples × time.window.ms}, as Kafka's own rates). */
    Measurable rate() {
        return rate;
    }

    /**
     * The rate between the newest snapshot taken at least a window ago (or the start) and now. Snapshots are taken
     * when the metric is read, at most one per {@code time.window.ms}, so at most {@code samples + 1} are kept.
     */
    private final class Rate implements Measurable {
        private final ArrayDeque<long[]> snapshots = new ArrayDeque<>();

        Rate(long nowMs) {
            snapshots.add(new long[] {nowMs, 0});
        }

        @Override
        public synchronized double measure(MetricConfig config, long now) {
            long current = count.sum();
            long window = config.timeWindowMs() * config.samples();
            while (snapshots.size() > 1 && now - second()[0] >= window) {
                snapshots.removeFirst();
            }
            long[] base = snapshots.getFirst();
            if (now - snapshots.getLast()[0] >= config.timeWindowMs()) {
                snapshots.addLast(new long[] {now, current});
            }
            long elapsed = now - base[0];
            return elapsed <= 0 ? 0 : (current - base[1]) * 1000.0 / elapsed;
        }

        private long[] second() {
            var iterator = snapshots.iterator();
            iterator.next();
            return iterator.next();
        }
    }
}
