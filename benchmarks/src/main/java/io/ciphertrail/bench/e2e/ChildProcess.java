package io.ciphertrail.bench.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A JVM the benchmark started (broker, proxy, policy service): its output goes to a log file, its
 * standard output lines are offered to a readiness check, its CPU time is read from {@code /proc}, and
 * it is stopped with SIGTERM, then SIGKILL if it does not stop in time.
 */
final class ChildProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;
    private final List<String> lines = new ArrayList<>();
    private final CompletableFuture<String> ready = new CompletableFuture<>();
    private final Predicate<String> readyLine;

    private ChildProcess(String name, Process process, Path log, Predicate<String> readyLine) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.readyLine = readyLine;
    }

    /**
     * Starts {@code command}; standard output and error go to {@code log}. {@code readyLine} marks the
     * line that says the process serves (null: readiness is checked another way).
     */
    static ChildProcess start(String name, List<String> command, Path log, Predicate<String> readyLine) {
        try {
            Files.createDirectories(log.getParent());
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .start();
            ChildProcess child = new ChildProcess(name, process, log, readyLine);
            Pids.add(process.pid());
            Thread pump = new Thread(child::pump, name + "-output");
            pump.setDaemon(true);
            pump.start();
            return child;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    private void pump() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintStream out = new PrintStream(Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                     true, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                synchronized (lines) {
                    lines.add(line);
                }
                if (readyLine != null && !ready.isDone() && readyLine.test(line)) {
                    ready.complete(line);
                }
            }
        } catch (IOException e) {
            // the process ended; its exit is reported by awaitReady or close
        }
        ready.completeExceptionally(new IllegalStateException(name + " exited (code "
                + exitCode() + ") before it was ready; see " + log));
    }

    private String exitCode() {
        try {
            return String.valueOf(process.waitFor(5, TimeUnit.SECONDS) ? process.exitValue() : "still running");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** Waits for the ready line and returns it. */
    String awaitReady(Duration timeout) {
        try {
            return ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(name + " was not ready within " + timeout.toSeconds() + " s; see " + log);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for " + name, e);
        }
    }

    /** Every output line so far. */
    List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    /** User plus system CPU time this process has used so far, in seconds. */
    double cpuSeconds() {
        return Cpu.seconds(process.pid());
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        Pids.remove(process.pid());
    }
}
