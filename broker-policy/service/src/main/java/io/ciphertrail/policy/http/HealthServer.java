package io.ciphertrail.policy.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ciphertrail.policy.delivery.WriteFailures;
import io.ciphertrail.policy.metrics.ServiceMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@code /health} (and {@code /health/live}, {@code /health/ready}) from the Streams state and the state of
 * writing, and {@code /metrics} in the Prometheus text format, written by the Prometheus client. Plain HTTP on a port that should stay inside
 * the cluster network: it shows counts and errors, never record content or settings.
 */
public final class HealthServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;

    public HealthServer(String host, int port, Supplier<KafkaStreams.State> state, Supplier<WriteFailures.Report> writes,
                        ServiceMetrics metrics) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the health and metrics port " + host + ":" + port
                    + " (ciphertrail.http.port): " + e.getMessage(), e);
        }
        // Live while retrying: restarting the process would not help, and would turn a retry into a crash loop.
        server.createContext("/health/live", exchange -> {
            KafkaStreams.State current = state.get();
            boolean alive = current != KafkaStreams.State.ERROR && current != KafkaStreams.State.PENDING_ERROR
                    && current != KafkaStreams.State.NOT_RUNNING;
            respond(exchange, alive ? 200 : 503, "text/plain", current + "\n");
        });
        server.createContext("/health/ready", exchange -> {
            KafkaStreams.State current = state.get();
            respond(exchange, current == KafkaStreams.State.RUNNING ? 200 : 503, "text/plain", current + "\n");
        });
        server.createContext("/health", exchange -> {
            Map<String, Object> body = health(state.get(), writes.get());
            respond(exchange, "UP".equals(body.get("status")) ? 200 : 503, "application/json", JSON.writeValueAsString(body) + "\n");
        });
        server.createContext("/metrics", exchange -> {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            metrics.write(body);
            respond(exchange, 200, metrics.contentType(), body.toByteArray());
        });
        server.start();
    }

    /**
     * {@code status}: UP (running, writing), RETRYING (a write failed lately; records are tried again, none
     * skipped) or DOWN; {@code streams}: the Kafka Streams state; the last write failure, when there was one.
     */
    static Map<String, Object> health(KafkaStreams.State streams, WriteFailures.Report writes) {
        Map<String, Object> body = new LinkedHashMap<>();
        boolean dead = streams == KafkaStreams.State.ERROR || streams == KafkaStreams.State.PENDING_ERROR
                || streams == KafkaStreams.State.NOT_RUNNING || streams == KafkaStreams.State.PENDING_SHUTDOWN;
        String status = dead ? "DOWN" : writes.status() == WriteFailures.Status.RETRYING ? "RETRYING"
                : streams == KafkaStreams.State.RUNNING ? "UP" : "DOWN";
        body.put("status", status);
        body.put("streams", streams.name());
        body.put("writeFailures", writes.failures());
        if (writes.lastError() != null) {
            body.put("lastWriteFailure", writes.lastError());
            body.put("lastWriteFailureTime", writes.lastFailure().toString());
            body.put("retryBackoffMs", writes.backoffMs());
        }
        return body;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        respond(exchange, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void respond(HttpExchange exchange, int status, String contentType, byte[] bytes) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
