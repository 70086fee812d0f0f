package io.ciphertrail.policy.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@code /health} (and {@code /health/live}, {@code /health/ready}) from the Streams state, and
 * {@code /metrics} in the Prometheus text format. Plain HTTP on a port that should stay inside the
 * cluster network: it shows counts, never record content or settings.
 */
public final class HealthServer implements AutoCloseable {
    private final HttpServer server;

    public HealthServer(String host, int port, Supplier<KafkaStreams.State> state, Supplier<String> metrics) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the health and metrics port " + host + ":" + port
                    + " (ciphertrail.http.port): " + e.getMessage(), e);
        }
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
            KafkaStreams.State current = state.get();
            boolean ready = current == KafkaStreams.State.RUNNING;
            respond(exchange, ready ? 200 : 503, "application/json",
                    "{\"status\":\"" + (ready ? "UP" : "DOWN") + "\",\"streams\":\"" + current + "\"}\n");
        });
        server.createContext("/metrics", exchange ->
                respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
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
