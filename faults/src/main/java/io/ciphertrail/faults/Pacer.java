package io.ciphertrail.faults;

import java.util.concurrent.locks.LockSupport;

/** Spaces events evenly: event {@code i} happens no earlier than {@code i / perSecond} after the pacer was made. */
public final class Pacer {
    private final long started = System.nanoTime();
    private final double nanosPerEvent;

    public Pacer(double perSecond) {
        if (perSecond <= 0) {
            throw new IllegalArgumentException("A rate is positive, got " + perSecond);
        }
        this.nanosPerEvent = 1e9 / perSecond;
    }

    /** Waits until event {@code index} is due. */
    public void awaitTurn(long index) {
        long due = started + (long) (index * nanosPerEvent);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }
}
