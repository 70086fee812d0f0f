package io.ciphertrail.cli;

import java.io.PrintWriter;

/**
 * A progress line on stderr for long runs, at most every two seconds, so stdout stays clean for pipes. Thread-safe:
 * a producer's acknowledgements arrive on its network thread.
 */
final class Progress {
    private static final long EVERY_NANOS = 2_000_000_000L;

    private final PrintWriter err;
    private final String verb;
    private long started = System.nanoTime();
    private long last = started;
    private long count;

    Progress(PrintWriter err, String verb) {
        this.err = err;
        this.verb = verb;
    }

    synchronized void tick() {
        count++;
        long now = System.nanoTime();
        if (count == 1) {
            // The rate counts from the first record, not from the connection set-up before it.
            started = now;
            last = now;
        }
        if (now - last >= EVERY_NANOS) {
            last = now;
            err.printf("... %s %,d records (%,.0f/s)%n", verb, count, count / ((now - started) / 1e9));
            err.flush();
        }
    }

    synchronized long count() {
        return count;
    }
}
