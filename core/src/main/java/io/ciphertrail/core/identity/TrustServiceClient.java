package io.ciphertrail.core.identity;

import io.ciphertrail.core.kms.remote.KeyServiceApi;
import io.ciphertrail.core.tls.ReloadingSslContext;
import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Calls to the trust service's CA API over HTTPS. Each call starts at a random instance and moves to the next one
 * when an instance cannot be reached or cannot decide now ({@link IdentityError#retriable()}); a refusal is an
 * answer and is thrown at once as an {@link IdentityException} naming the instance. The TLS identity is the
 * caller's: the engines come from a {@link ReloadingSslEngineFactory}, so the TLS policy is the platform's.
 */
public final class TrustServiceClient {
    private final List<URI> urls;
    private final HttpClient http;
    private final Duration requestTimeout;

    public TrustServiceClient(List<URI> urls, ReloadingSslEngineFactory tls, Duration connectTimeout, Duration requestTimeout) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("No trust service URL");
        }
        this.urls = List.copyOf(urls);
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .sslContext(ReloadingSslContext.client(tls))
                .sslParameters(ReloadingSslContext.clientParameters(tls))
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * A client of the mutual-TLS listener ({@code ciphertrail.identity.urls}) authenticated as the identity the client
     * settings give: their key store, or their workload identity. What the administrator's commands use.
     */
    public static TrustServiceClient of(Map<String, ?> settings) {
        IdentityConfig config = new IdentityConfig(settings);
        return new TrustServiceClient(config.urls(), ReloadingSslEngineFactory.fromSettings(settings, false),
                Duration.ofMillis(config.getLong(IdentityConfig.CONNECT_TIMEOUT_MS_CONFIG)),
                Duration.ofMillis(config.getLong(IdentityConfig.REQUEST_TIMEOUT_MS_CONFIG)));
    }

    public <T> T post(String path, Object body, Class<T> answer) {
        byte[] bytes;
        try {
            bytes = KeyServiceApi.JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot encode a request to " + path, e);
        }
        return call(path, HttpRequest.BodyPublishers.ofByteArray(bytes), "POST", answer);
    }

    public <T> T get(String path, Class<T> answer) {
        return call(path, HttpRequest.BodyPublishers.noBody(), "GET", answer);
    }

    private <T> T call(String path, HttpRequest.BodyPublisher body, String method, Class<T> answer) {
        List<String> failures = new ArrayList<>();
        IdentityException last = null;
        int start = ThreadLocalRandom.current().nextInt(urls.size());
        for (int i = 0; i < urls.size(); i++) {
            URI base = urls.get((start + i) % urls.size());
            try {
                return send(base, path, body, method, answer);
            } catch (IdentityException e) {
                if (!e.error().retriable()) {
                    throw e;
                }
                last = e;
                failures.add(base + " (" + e.getMessage() + ")");
            }
        }
        throw new IdentityException(last == null ? IdentityError.CA_UNAVAILABLE : last.error(),
                "No trust service instance answered " + path + ": " + String.join("; ", failures), last);
    }

    private <T> T send(URI base, String path, HttpRequest.BodyPublisher body, String method, Class<T> answer) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(requestTimeout)
                .header("Content-Type", KeyServiceApi.CONTENT_TYPE)
                .header("Accept", KeyServiceApi.CONTENT_TYPE)
                .method(method, body)
                .build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw new IdentityException(IdentityError.CA_UNAVAILABLE, "no connection within " + http.connectTimeout().map(Duration::toMillis).orElse(0L) + " ms");
        } catch (ConnectException e) {
            throw new IdentityException(IdentityError.CA_UNAVAILABLE, "connection refused");
        } catch (IOException e) {
            throw new IdentityException(IdentityError.CA_UNAVAILABLE, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IdentityException(IdentityError.CA_UNAVAILABLE, "interrupted while waiting for the trust service " + base);
        }
        try {
            if (response.statusCode() == 200) {
                return KeyServiceApi.JSON.readValue(response.body(), answer);
            }
            IdentityError error;
            String message;
            try {
                KeyServiceApi.ErrorBody refusal = KeyServiceApi.JSON.readValue(response.body(), KeyServiceApi.ErrorBody.class);
                error = IdentityError.of(refusal.error(), response.statusCode());
                message = refusal.message() == null ? "HTTP " + response.statusCode() : refusal.message();
            } catch (IOException notJson) {
                error = IdentityError.of(null, response.statusCode());
                message = "HTTP " + response.statusCode();
            }
            throw new IdentityException(error, error + ": " + message + " [trust service " + base + "]");
        } catch (IOException e) {
            throw new IdentityException(IdentityError.INTERNAL, "The trust service " + base + " sent an answer that is not version 1 JSON: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "TrustServiceClient" + urls;
    }
}
