package io.ciphertrail.faults;

import io.ciphertrail.core.io.PropertiesFiles;
import io.ciphertrail.embedded.JvmCommand;
import io.ciphertrail.policy.PolicyService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One instance of the policy service in a JVM of its own ({@code java ... PolicyService service.properties},
 * as it runs in production), so that it can be killed without warning. Its output goes to a log file.
 */
public final class PolicyServiceProcess implements AutoCloseable {
    private static final Pattern STARTED = Pattern.compile("Policy service '.*' started; .* health and metrics on port (\\d+)");
    private static final List<String> JAVA_OPTIONS = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final String name;
    private final Process process;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private PolicyServiceProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Writes a service properties file, owner-only since it holds store passwords. */
    public static Path writeProperties(Path file, Map<String, ?> settings) {
        PropertiesFiles.writeOwnerOnly(file, "Policy service settings. Holds store passwords: keep private", settings);
        return file;
    }

    /** Starts an instance with the settings in {@code properties}; its output goes to {@code log}. */
    public static PolicyServiceProcess start(String name, Path properties, Path log) {
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            Process process = new ProcessBuilder(JvmCommand.of(JAVA_OPTIONS, JvmCommand.classPath(), PolicyService.class.getName(),
                    List.of(properties.toString())))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            return new PolicyServiceProcess(name, process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start policy service " + name + ": " + e.getMessage(), e);
        }
    }

    /** Waits until the instance's Kafka Streams is RUNNING (its /health says so). */
    public void awaitRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "not started yet";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Policy service " + name + " exited with code " + process.exitValue() + "; see " + log);
            }
            int port = httpPort();
            if (port > 0) {
                try {
                    last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.ofString()).body().trim();
                    if (last.contains("\"streams\":\"RUNNING\"")) {
                        return;
                    }
                } catch (IOException e) {
                    last = e.toString();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for policy service " + name, e);
                }
            }
            sleep(250);
        }
        throw new IllegalStateException("Policy service " + name + " was not RUNNING within " + timeout.toSeconds() + " s (" + last + "); see " + log);
    }

    /** The /health and /metrics port the instance reported, or 0 before it did. */
    private int httpPort() {
        try {
            Matcher matcher = STARTED.matcher(Files.readString(log, StandardCharsets.UTF_8));
            return matcher.find() ? Integer.parseInt(matcher.group(1)) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Kills the instance with SIGKILL: no commit, no leaving the group, an open transaction left behind. */
    public void kill() {
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(30));
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    /** Stops the instance cleanly (SIGTERM: it commits and leaves its group), killing it after a minute. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            if (!waitFor(Duration.ofSeconds(60))) {
                kill();
            }
        }
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    @Override
    public String toString() {
        return "policy service " + name + " (pid " + process.pid() + ")";
    }
}
