package io.ciphertrail.bench.soak;

import io.ciphertrail.bench.report.Stats;
import io.ciphertrail.faults.LiveConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * End-to-end latencies (sent by the producer to received by the consumer, through the gate), kept per
 * second of arrival for throughput and p99 per second, and per send time for the worst latency of the
 * records sent around a fault. Repeats after a consumer rebalance count once, at their first arrival;
 * arrivals before {@link #startAt} (the warm-up) are not timed.
 */
final class LatencyTimeline implements LiveConsumer.Arrivals {
    /** One arrival: when the record was sent and how long it took. */
    record Arrival(long sentAtMillis, long latencyMillis) {
    }

    /** One second of arrivals: how many, their 99th percentile and worst latency. */
    record Second(long second, int records, double p99Millis, double maxMillis) {
    }

    private volatile long startMillis = Long.MAX_VALUE;
    private final Map<Long, List<Arrival>> bySecond = new ConcurrentSkipListMap<>();
    private final java.util.Set<Long> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Second 0: arrivals before it (the warm-up) are not timed. */
    void startAt(long millis) {
        this.startMillis = millis;
    }

    long startMillis() {
        return startMillis;
    }

    @Override
    public void arrived(long number, long sentAtMillis, long arrivedAtMillis) {
        if (seen.add(number) && arrivedAtMillis >= startMillis) {
            bySecond.computeIfAbsent((arrivedAtMillis - startMillis) / 1000, s -> java.util.Collections.synchronizedList(new ArrayList<>()))
                    .add(new Arrival(sentAtMillis, arrivedAtMillis - sentAtMillis));
        }
    }

    /** Every second from the start to {@code endSecond}, empty seconds included (a stall shows as zero). */
    List<Second> seconds(long endSecond) {
        List<Second> seconds = new ArrayList<>();
        for (long second = 0; second <= endSecond; second++) {
            List<Arrival> arrivals = bySecond.getOrDefault(second, List.of());
            long[] latencies;
            synchronized (arrivals) {
                latencies = arrivals.stream().mapToLong(Arrival::latencyMillis).sorted().toArray();
            }
            seconds.add(latencies.length == 0 ? new Second(second, 0, Double.NaN, Double.NaN)
                    : new Second(second, latencies.length, Stats.percentile(latencies, 99), latencies[latencies.length - 1]));
        }
        return seconds;
    }

    /** The worst latency of the records sent between the two times, or -1 if none arrived. */
    long worstSentBetween(long fromMillis, long toMillis) {
        long worst = -1;
        for (List<Arrival> arrivals : bySecond.values()) {
            synchronized (arrivals) {
                for (Arrival arrival : arrivals) {
                    if (arrival.sentAtMillis() >= fromMillis && arrival.sentAtMillis() < toMillis) {
                        worst = Math.max(worst, arrival.latencyMillis());
                    }
                }
            }
        }
        return worst;
    }
}
