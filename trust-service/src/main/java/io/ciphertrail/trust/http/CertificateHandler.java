package io.ciphertrail.trust.http;

import io.ciphertrail.core.identity.IdentityApi;
import io.ciphertrail.core.identity.IdentityApi.BarRequest;
import io.ciphertrail.core.identity.IdentityApi.BarredList;
import io.ciphertrail.core.identity.IdentityApi.Bundle;
import io.ciphertrail.core.identity.IdentityApi.CertificateRequest;
import io.ciphertrail.core.identity.IdentityApi.TokenRequest;
import io.ciphertrail.core.identity.IdentityError;
import io.ciphertrail.core.identity.IdentityException;
import io.ciphertrail.core.kms.remote.KeyServiceApi;
import io.ciphertrail.trust.ca.WorkloadCa;
import java.io.IOException;
import java.util.UUID;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workload CA's version 1 calls ({@link IdentityApi}). On the mutual-TLS listener: renewals, the administrators'
 * tokens and bars, the trust bundle. On the bootstrap listener, which authenticates only the server: the first
 * certificate against a one-time token, and nothing else. Refusals are {@code {error, message}} with an
 * {@link IdentityError} code and never echo the request (a token never appears in an answer or a log).
 */
final class CertificateHandler {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateHandler.class);

    private final WorkloadCa ca;
    private final int maxRequestBytes;

    /** @param ca the CA, or null when this service runs none (every call is then {@link IdentityError#CA_OFF}) */
    CertificateHandler(WorkloadCa ca, int maxRequestBytes) {
        this.ca = ca;
        this.maxRequestBytes = maxRequestBytes;
    }

    boolean handle(Request request, Response response, Callback callback, WorkloadCa.Requester requester, boolean bootstrapListener) {
        String path = Request.getPathInContext(request);
        boolean post = HttpMethod.POST.is(request.getMethod());
        if (bootstrapListener != path.equals(IdentityApi.BOOTSTRAP)) {
            return refuse(response, callback, 404, IdentityError.BAD_REQUEST, bootstrapListener
                    ? "the bootstrap listener serves only POST " + IdentityApi.BOOTSTRAP + "; everything else needs mutual TLS"
                    : "no such call: " + path + (path.equals(IdentityApi.BOOTSTRAP) ? "; a first certificate is asked for on the bootstrap"
                    + " listener (ciphertrail.identity.bootstrap.urls)" : ""));
        }
        if (ca == null) {
            return refuse(response, callback, IdentityError.CA_OFF, "this trust service runs no workload CA (ciphertrail.trust.ca.key.source=NONE)");
        }
        try {
            Object answer = switch (path) {
                case IdentityApi.BOOTSTRAP -> ca.bootstrap(requester, body(request, post, CertificateRequest.class));
                case IdentityApi.RENEW -> ca.renew(requester, body(request, post, CertificateRequest.class));
                case IdentityApi.TOKENS -> ca.createToken(requester, body(request, post, TokenRequest.class));
                case IdentityApi.BAR -> ca.bar(requester, body(request, post, BarRequest.class));
                case IdentityApi.UNBAR -> ca.unbar(requester, body(request, post, BarRequest.class));
                case IdentityApi.BARRED -> new BarredList(ca.barred(requester));
                case IdentityApi.BUNDLE -> new Bundle(ca.bundlePem());
                default -> throw new IdentityException(IdentityError.BAD_REQUEST, "no such call: " + path);
            };
            return Responses.json(response, callback, 200, answer);
        } catch (IdentityException e) {
            return refuse(response, callback, e.error(), e.getMessage());
        } catch (RuntimeException e) {
            String id = UUID.randomUUID().toString();
            LOG.error("Certificate call {} by {} failed unexpectedly (error id {})", path, requester.principal(), id, e);
            return refuse(response, callback, IdentityError.INTERNAL, "the trust service failed; its log has the details under error id " + id);
        }
    }

    private <T> T body(Request request, boolean post, Class<T> type) {
        if (!post) {
            throw new IdentityException(IdentityError.BAD_REQUEST, "use POST for " + Request.getPathInContext(request));
        }
        byte[] body;
        try {
            body = Responses.body(request, maxRequestBytes);
        } catch (Responses.BodyRefused e) {
            throw new IdentityException(IdentityError.REQUEST_TOO_LARGE, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IdentityException(IdentityError.CA_UNAVAILABLE, "the trust service is stopping");
        }
        try {
            return KeyServiceApi.JSON.readValue(body, type);
        } catch (IOException e) {
            throw new IdentityException(IdentityError.BAD_REQUEST, "the body is not a version 1 request: " + e.getClass().getSimpleName());
        }
    }

    private static boolean refuse(Response response, Callback callback, IdentityError error, String message) {
        return refuse(response, callback, error.status(), error, message);
    }

    private static boolean refuse(Response response, Callback callback, int status, IdentityError error, String message) {
        return Responses.error(response, callback, status, error.name(), message);
    }
}
