package io.ciphertrail.faults;

import io.ciphertrail.core.io.PropertiesFiles;
import io.ciphertrail.embedded.JvmCommand;
import io.ciphertrail.embedded.Processes;
import io.ciphertrail.policy.PolicyService;
import io.ciphertrail.policy.PolicyServiceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One instance of the policy service in a JVM of its own ({@code java ... PolicyService <name>.properties},
 * as it runs in production), so that it can be killed without warning. Its settings file and log live in
 * the directory it is given; its health endpoint on a free port tells when it runs.
 */
public final class PolicyServiceProcess implements AutoCloseable {
    /** A service JVM's default options: small heap, quick start-up. */
    public static final List<String> DEFAULT_JAVA_OPTIONS = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final String name;
    private final Process process;
    private final Path log;
    private final int httpPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private PolicyServiceProcess(String name, Process process, Path log, int httpPort) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.httpPort = httpPort;
    }

    /**
     * Starts instance {@code name} with {@code settings} (Kafka client and Streams settings, {@code ciphertrail.*}
     * keys), written owner-only to {@code <directory>/<name>.properties}; its output goes to {@code <directory>/<name>.log}.
     */
    public static PolicyServiceProcess start(String name, Map<String, ?> settings, Path directory, List<String> javaOptions) {
        try {
            Files.createDirectories(directory);
            Map<String, Object> withPort = new HashMap<>(settings);
            int port = freePort();
            withPort.put(PolicyServiceConfig.HTTP_PORT_CONFIG, port);
            Path properties = directory.resolve(name + ".properties");
            PropertiesFiles.writeOwnerOnly(properties, "Policy service " + name + ". Holds store passwords: keep private", withPort);
            Path log = directory.resolve(name + ".log");
            List<String> options = new ArrayList<>(javaOptions);
            options.add(JvmCommand.LOGGING);
            Process process = new ProcessBuilder(JvmCommand.of(options, JvmCommand.classPath(), PolicyService.class.getName(),
                    List.of(properties.toString())))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            return new PolicyServiceProcess(name, process, log, port);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start policy service " + name + ": " + e.getMessage(), e);
        }
    }

    /** Waits until the instance's Kafka Streams is RUNNING (its /health says so). */
    public void awaitRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health")).timeout(Duration.ofSeconds(2)).build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Policy service " + name + " exited with code " + process.exitValue() + "; see " + log);
            }
            try {
                last = http.send(health, HttpResponse.BodyHandlers.ofString()).body().trim();
                if (last.contains("\"streams\":\"RUNNING\"")) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for policy service " + name, e);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for policy service " + name, e);
            }
        }
        throw new IllegalStateException("Policy service " + name + " was not RUNNING within " + timeout.toSeconds() + " s (" + last + "); see " + log);
    }

    /** Kills the instance with SIGKILL: no commit, no leaving the group, an open transaction left behind. */
    public void kill() {
        Processes.kill(process);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
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
        Processes.stop(process, Duration.ofSeconds(60));
    }


    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }


    @Override
    public String toString() {
        return "policy service " + name + " (pid " + process.pid() + ")";
    }
}
