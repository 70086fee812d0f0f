package io.ciphertrail.policy.delivery;

import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * Writes that cannot happen now or that failed although the gate checked first. Nothing is skipped and
 * nothing crash-loops: while an output topic the gate cannot do without is missing, processing is paused
 * until it is back ({@link OutputWatch}); when a send fails anyway (a topic deleted meanwhile, brokers down)
 * the transaction is aborted and the records since the last commit are processed again, after a back-off
 * that doubles from {@code ciphertrail.retry.backoff.ms} up to {@code ciphertrail.retry.backoff.max.ms} when
 * the stream thread had to stop. The service reports {@link Status#RETRYING} while blocked, and from a
 * failure until a quiet period of twice the current back-off (at least {@value #MIN_QUIET_MS} ms) passes
 * without another.
 */
public final class WriteFailures {
    static final long MIN_QUIET_MS = 10_000;
    private static final int MAX_ERROR_LENGTH = 400;

    /** What /health says about writing. */
    public enum Status { UP, RETRYING }

    /**
     * The state of writing, for /health and for people.
     *
     * @param failures  failed attempts since the service started
     * @param lastError the last failure, or null when there was none
     * @param backoffMs the wait before the next attempt after a failure
     */
    public record Report(Status status, long failures, Instant lastFailure, String lastError, long backoffMs) {
    }

    private final long initialBackoffMs;
    private final long maxBackoffMs;
    private final LongSupplier clock;
    private long failures;
    private long lastFailureMs = -1;
    private String lastError;
    private long backoffMs;
    private String blockedBy;

    public WriteFailures(long initialBackoffMs, long maxBackoffMs) {
        this(initialBackoffMs, maxBackoffMs, System::currentTimeMillis);
    }

    WriteFailures(long initialBackoffMs, long maxBackoffMs, LongSupplier clock) {
        this.initialBackoffMs = initialBackoffMs;
        this.maxBackoffMs = Math.max(initialBackoffMs, maxBackoffMs);
        this.clock = clock;
        this.backoffMs = initialBackoffMs;
    }

    /** Records a failed write; returns how long to wait before the record is tried again. */
    public synchronized long failed(Throwable error) {
        long now = clock.getAsLong();
        if (lastFailureMs < 0 || now - lastFailureMs >= quietMs()) {
            backoffMs = initialBackoffMs;
        } else {
            backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
        }
        failures++;
        lastFailureMs = now;
        lastError = describe(error);
        return backoffMs;
    }

    /** Writing cannot happen until {@code reason} is fixed (an output topic is missing); reported until {@link #unblocked()}. */
    public synchronized void blocked(String reason) {
        if (blockedBy == null) {
            failures++;
            lastFailureMs = clock.getAsLong();
            lastError = reason;
        }
        blockedBy = reason;
    }

    public synchronized void unblocked() {
        blockedBy = null;
    }

    public synchronized Report report() {
        boolean retrying = blockedBy != null || (lastFailureMs >= 0 && clock.getAsLong() - lastFailureMs < quietMs());
        return new Report(retrying ? Status.RETRYING : Status.UP, failures,
                lastFailureMs < 0 ? null : Instant.ofEpochMilli(lastFailureMs), lastError, backoffMs);
    }

    private long quietMs() {
        return Math.max(MIN_QUIET_MS, 2 * backoffMs);
    }

    /** The innermost cause that says something, as "Type: message", short enough for a health check. */
    static String describe(Throwable error) {
        Throwable telling = error;
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                telling = cause;
            }
        }
        String text = telling.getClass().getSimpleName() + (telling.getMessage() == null ? "" : ": " + telling.getMessage());
        return text.length() > MAX_ERROR_LENGTH ? text.substring(0, MAX_ERROR_LENGTH) + "..." : text;
    }
}
