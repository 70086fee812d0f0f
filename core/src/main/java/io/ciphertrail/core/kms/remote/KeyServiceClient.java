package io.ciphertrail.core.kms.remote;

import io.ciphertrail.core.kms.KmsException;
import io.ciphertrail.core.kms.KmsUnavailableException;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Call;
import io.ciphertrail.core.kms.remote.KeyServiceApi.ErrorBody;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Request;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Response;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends calls to the key service's instances with fail-over: each client starts at a random instance
 * (spreading clients over them) and stays with one that answers. An instance that cannot be reached, times
 * out or reports its backend unavailable is skipped for the fail-over back-off, and the call goes to the
 * next one. A call that changes keys (create, rotate, destroy) moves on only when the request surely never
 * arrived, so it is never applied twice. Refusals (unknown key, access denied, ...) are answers, not failures:
 * they are thrown as the same exception type a local KMS throws, without trying elsewhere.
 */
final class KeyServiceClient {
    private static final Logger LOG = LoggerFactory.getLogger(KeyServiceClient.class);

    private final List<Instance> instances;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final long backoffNanos;
    private volatile int preferred;

    private static final class Instance {
        final URI base;
        volatile long downUntil;

        Instance(URI base) {
            this.base = base;
        }

        boolean down(long now) {
            return now - downUntil < 0;
        }
    }

    KeyServiceClient(List<URI> urls, HttpClient http, Duration requestTimeout, Duration failoverBackoff) {
        this.instances = urls.stream().map(Instance::new).toList();
        this.http = http;
        this.requestTimeout = requestTimeout;
        this.backoffNanos = failoverBackoff.toNanos();
        this.preferred = ThreadLocalRandom.current().nextInt(instances.size());
    }

    Response call(Call call, Request request) {
        byte[] body = encode(request);
        try {
            List<String> failures = new ArrayList<>();
            long now = System.nanoTime();
            int start = preferred;
            // First the instances not known to be down, then (if all failed) those too: a back-off never blocks a call.
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < instances.size(); i++) {
                    int index = (start + i) % instances.size();
                    Instance instance = instances.get(index);
                    if (instance.down(now) != (pass == 1)) {
                        continue;
                    }
                    try {
                        Response response = send(instance, call, body);
                        preferred = index;
                        return response;
                    } catch (Unreachable e) {
                        instance.downUntil = System.nanoTime() + backoffNanos;
                        failures.add(instance.base + " (" + e.getMessage() + ")");
                        LOG.debug("Key service {} failed {}: {}", instance.base, call, e.getMessage());
                        if (!call.retriable() && !e.notSent) {
                            throw new KmsUnavailableException("The key service " + instance.base + " did not confirm "
                                    + call.name().toLowerCase() + " (" + e.getMessage() + "); it may or may not have happened:"
                                    + " check with 'ciphertrail keys list' before repeating it");
                        }
                    }
                }
            }
            throw new KmsUnavailableException("No key service instance answered " + call.name().toLowerCase() + ": "
                    + String.join("; ", failures) + ". Check that they run and that ciphertrail.kms.remote.urls lists them");
        } finally {
            Arrays.fill(body, (byte) 0);
        }
    }

    /** The instance could not serve the call: try another. */
    private static final class Unreachable extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean notSent;

        Unreachable(String message, boolean notSent) {
            super(message, null, false, false);
            this.notSent = notSent;
        }
    }

    private Response send(Instance instance, Call call, byte[] body) throws Unreachable {
        HttpRequest request = HttpRequest.newBuilder(instance.base.resolve(call.path()))
                .timeout(requestTimeout)
                .header("Content-Type", KeyServiceApi.CONTENT_TYPE)
                .header("Accept", KeyServiceApi.CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw new Unreachable("no connection within " + http.connectTimeout().map(Duration::toMillis).orElse(0L) + " ms", true);
        } catch (ConnectException e) {
            throw new Unreachable("connection refused", true);
        } catch (IOException e) {
            throw new Unreachable(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KmsUnavailableException("Interrupted while waiting for the key service " + instance.base, e);
        }
        byte[] payload = response.body();
        try {
            if (response.statusCode() == 200) {
                return KeyServiceApi.JSON.readValue(payload, Response.class);
            }
            KmsError kind;
            String message;
            try {
                ErrorBody error = KeyServiceApi.JSON.readValue(payload, ErrorBody.class);
                kind = KmsError.of(error.error(), response.statusCode());
                message = error.message() == null ? "HTTP " + response.statusCode() : error.message();
            } catch (IOException notJson) {
                kind = KmsError.of(null, response.statusCode());
                message = "HTTP " + response.statusCode();
            }
            if (kind == KmsError.KMS_UNAVAILABLE && call.retriable()) {
                // Another instance may have a working backend. A change the server said it could not make is not retried.
                throw new Unreachable(message, false);
            }
            RuntimeException refusal = kind.exception(message + " [key service " + instance.base + "]");
            throw refusal;
        } catch (IOException e) {
            throw new KmsException("The key service " + instance.base + " sent an answer that is not version 1 JSON: " + e.getMessage(), e);
        } finally {
            if (payload != null) {
                Arrays.fill(payload, (byte) 0);
            }
        }
    }

    private static byte[] encode(Request request) {
        try {
            return KeyServiceApi.JSON.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot encode " + request, e);
        }
    }

    @Override
    public String toString() {
        return "KeyServiceClient" + instances.stream().map(i -> i.base.toString()).toList();
    }
}
