package io.ciphertrail.trust.http;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per principal (Bucket4j): {@code perSecond} calls a second on average, bursts up to
 * {@code burst} (a consumer's cold start unwraps many data keys at once). Principals come from certificates
 * the CA issued, so the map stays small; it is cleared if it ever holds more than {@link #MAX_PRINCIPALS}.
 */
final class RateLimits {
    static final int MAX_PRINCIPALS = 10_000;

    private final long perSecond;
    private final long burst;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    RateLimits(long perSecond, long burst) {
        this.perSecond = perSecond;
        this.burst = Math.max(burst, perSecond);
    }

    /** 0 if the call may go ahead, else how many milliseconds until it could. */
    long waitMillis(String principal) {
        if (buckets.size() > MAX_PRINCIPALS) {
            buckets.clear();
        }
        Bucket bucket = buckets.computeIfAbsent(principal, p -> Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(burst).refillGreedy(perSecond, Duration.ofSeconds(1)).build())
                .build());
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? 0 : Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toMillis());
    }

    long perSecond() {
        return perSecond;
    }
}
