package io.ciphertrail.embedded;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Ending a process this JVM started: asked (SIGTERM), told (SIGKILL), or waited for. */
public final class Processes {
    private Processes() {
    }

    /** Waits up to {@code timeout} for {@code process} to exit; true if it did. */
    public static boolean awaitExit(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for process " + process.pid() + " to exit", e);
        }
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye. Returns once the process is gone. */
    public static void kill(Process process) {
        process.destroyForcibly();
        awaitExit(process, Duration.ofSeconds(30));
    }

    /** SIGTERM, so the process shuts down cleanly; SIGKILL if it has not exited within {@code grace}. */
    public static void stop(Process process, Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!awaitExit(process, grace)) {
            kill(process);
        }
    }

    /** Sleeps, turning an interruption into an exception (with the interrupt flag kept). */
    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }
}
