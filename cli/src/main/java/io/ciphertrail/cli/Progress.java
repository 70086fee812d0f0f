package io.ciphertrail.cli;

import java.io.PrintWriter;

/** A progress line on stderr for long runs, at most every two seconds, so stdout stays clean for pipes. */
final class Progress {
    private static final long EVERY_NANOS = 2_000_000_000L;

    private final PrintWriter err;
    private final String verb;
    private final long started = System.nanoTime();
    private long last = started;
    private long count;

    Progress(PrintWriter err, String verb) {
        this.err = err;
        this.verb = verb;
    }

    void tick() {
        count++;
        long now = System.nanoTime();
        if (now - last >= EVERY_NANOS) {
            last = now;
            err.printf("... %s %,d records (%,.0f/s)%n", verb, count, count / ((now - started) / 1e9));
            err.flush();
        }
    }

    long count() {
        return count;
    }
}
