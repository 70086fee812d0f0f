package io.ciphertrail.trust.http;

import io.ciphertrail.core.kms.remote.KeyServiceApi;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Call;
import io.ciphertrail.core.kms.remote.KeyServiceApi.ErrorBody;
import io.ciphertrail.core.kms.remote.KmsError;
import io.ciphertrail.trust.keys.Caller;
import io.ciphertrail.trust.keys.KeyService;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The version 1 API on the mutual-TLS listener: {@code POST /v1/keys/<call>} with a JSON body of at most
 * the configured size, and {@code GET /v1/whoami} (the principal the service sees, for checking mapping
 * rules). Each call is rate limited per principal, then handed to the {@link KeyService}. Errors are
 * {@link ErrorBody} JSON with a {@link KmsError} code; they never echo the request, and an unexpected failure
 * is answered with an id that finds its details in the log.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final String WHOAMI = "/v1/whoami";

    private final KeyService keys;
    private final PrincipalMapper principals;
    private final RateLimits limits;
    private final TrustMetrics metrics;
    private final int maxRequestBytes;

    ApiHandler(KeyService keys, PrincipalMapper principals, RateLimits limits, TrustMetrics metrics, int maxRequestBytes) {
        this.keys = keys;
        this.principals = principals;
        this.limits = limits;
        this.metrics = metrics;
        this.maxRequestBytes = maxRequestBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String address = Request.getRemoteAddr(request);
        EndPoint.SslSessionData tls = (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        String principal = tls == null ? "User:ANONYMOUS" : principals.principal(tls.sslSession(), address);
        if (principal.equals("User:ANONYMOUS")) {
            // The TLS layer requires a certificate, so this is a defence in depth only.
            return error(response, callback, KmsError.KMS_ACCESS_DENIED, "a client certificate is required");
        }
        if (path.equals(WHOAMI)) {
            return json(response, callback, 200, Map.of("principal", principal));
        }
        Optional<Call> call = Call.ofPath(path);
        if (call.isEmpty()) {
            return error(response, callback, 404, KmsError.BAD_REQUEST, "no such call: " + path
                    + "; version 1 calls are POST " + KeyServiceApi.PREFIX + "<call>");
        }
        if (!HttpMethod.POST.is(request.getMethod())) {
            return error(response, callback, 405, KmsError.BAD_REQUEST, "use POST for " + path);
        }
        long wait = limits.waitMillis(principal);
        if (wait > 0) {
            metrics.rateLimited(principal);
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(Math.max(1, (wait + 999) / 1000)));
            return error(response, callback, KmsError.RATE_LIMITED, principal + " exceeded " + limits.perSecond()
                    + " calls per second at this instance; retry in " + wait + " ms");
        }
        long declared = request.getLength();
        if (declared > maxRequestBytes) {
            return error(response, callback, KmsError.REQUEST_TOO_LARGE, "the request has " + declared
                    + " bytes; the limit is " + maxRequestBytes + " (ciphertrail.trust.request.max.bytes)");
        }
        byte[] body;
        try {
            body = Content.Source.asByteArrayAsync(request, maxRequestBytes).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return error(response, callback, KmsError.REQUEST_TOO_LARGE, "the request body could not be read within"
                    + " 30 s or exceeds " + maxRequestBytes + " bytes (ciphertrail.trust.request.max.bytes)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(response, callback, KmsError.KMS_UNAVAILABLE, "the key service is stopping");
        }
        KeyServiceApi.Request parsed;
        try {
            parsed = body.length == 0 ? KeyServiceApi.Request.none() : KeyServiceApi.JSON.readValue(body, KeyServiceApi.Request.class);
        } catch (IOException e) {
            return error(response, callback, KmsError.BAD_REQUEST, "the body is not a version 1 request: "
                    + e.getClass().getSimpleName());
        }
        KeyServiceApi.Response result;
        try {
            result = keys.handle(new Caller(principal, address), call.get(), parsed);
        } catch (IllegalArgumentException e) {
            return error(response, callback, KmsError.BAD_REQUEST, e.getMessage());
        } catch (RuntimeException e) {
            KmsError kind = KmsError.of(e);
            if (kind == KmsError.INTERNAL) {
                String id = UUID.randomUUID().toString();
                LOG.error("Call {} by {} failed unexpectedly (error id {})", call.get(), principal, id, e);
                return error(response, callback, kind, "the key service failed; its log has the details under error id " + id);
            }
            return error(response, callback, kind, e.getMessage());
        }
        try {
            return json(response, callback, 200, result);
        } finally {
            if (result.key() != null) {
                Arrays.fill(result.key(), (byte) 0);
            }
        }
    }

    private static boolean error(Response response, Callback callback, KmsError kind, String message) {
        return error(response, callback, kind.status(), kind, message);
    }

    private static boolean error(Response response, Callback callback, int status, KmsError kind, String message) {
        return json(response, callback, status, new ErrorBody(kind.name(), message));
    }

    private static boolean json(Response response, Callback callback, int status, Object body) {
        byte[] bytes;
        try {
            bytes = KeyServiceApi.JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot encode a response", e);
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, KeyServiceApi.CONTENT_TYPE);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        // The copy Jetty writes from is zeroed once written; key material lives in it only meanwhile.
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        response.write(true, buffer, Callback.from(() -> {
            Arrays.fill(bytes, (byte) 0);
            callback.succeeded();
        }, failure -> {
            Arrays.fill(bytes, (byte) 0);
            callback.failed(failure);
        }));
        return true;
    }
}
