package io.ciphertrail.trust.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code /health} and Prometheus {@code /metrics} on the plain management listener, which should stay
 * inside the cluster network: it shows counts and the policy's name, never keys or settings.
 */
final class ManagementHandler extends Handler.Abstract {
    private final TrustMetrics metrics;
    private final Supplier<String> health;

    ManagementHandler(TrustMetrics metrics, Supplier<String> health) {
        this.metrics = metrics;
        this.health = health;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        switch (path) {
            case "/metrics" -> respond(response, callback, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
            case "/health", "/health/live", "/health/ready" ->
                    respond(response, callback, 200, "application/json", health.get().getBytes(StandardCharsets.UTF_8));
            default -> respond(response, callback, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8));
        }
        return true;
    }

    private static void respond(Response response, Callback callback, int status, String type, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
