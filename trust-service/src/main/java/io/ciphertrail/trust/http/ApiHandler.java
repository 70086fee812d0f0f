package io.ciphertrail.trust.http;

import io.ciphertrail.core.identity.IdentityApi;
import io.ciphertrail.core.identity.IdentityError;
import io.ciphertrail.core.kms.remote.KeyServiceApi;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Call;
import io.ciphertrail.core.kms.remote.KmsError;
import io.ciphertrail.trust.ca.WorkloadCa;
import io.ciphertrail.trust.keys.Caller;
import io.ciphertrail.trust.keys.KeyService;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The version 1 API on the mutual-TLS listener: {@code POST /v1/keys/<call>} with a JSON body of at most
 * the configured size, {@code /v1/certificates/...} (the workload CA, see {@link CertificateHandler}), and
 * {@code GET /v1/whoami} (the principal the service sees, for checking mapping rules). Each call is rate limited
 * per principal, then handed to the {@link KeyService} or the CA. Errors are {@code {error, message}} JSON with a
 * {@link KmsError} (or identity) code; they never echo the request, and an unexpected failure is answered with an
 * id that finds its details in the log.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final String WHOAMI = "/v1/whoami";

    private final KeyService keys;
    private final CertificateHandler certificates;
    private final PrincipalMapper principals;
    private final RateLimits limits;
    private final TrustMetrics metrics;
    private final int maxRequestBytes;

    ApiHandler(KeyService keys, CertificateHandler certificates, PrincipalMapper principals, RateLimits limits, TrustMetrics metrics,
               int maxRequestBytes) {
        this.keys = keys;
        this.certificates = certificates;
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
        if (path.startsWith(IdentityApi.PREFIX)) {
            long wait = limits.waitMillis(principal);
            if (wait > 0) {
                metrics.rateLimited(principal);
                response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(Math.max(1, (wait + 999) / 1000)));
                return Responses.error(response, callback, IdentityError.RATE_LIMITED.status(), IdentityError.RATE_LIMITED.name(),
                        principal + " exceeded " + limits.perSecond() + " calls per second at this instance; retry in " + wait + " ms");
            }
            return certificates.handle(request, response, callback, new WorkloadCa.Requester(principal, address, peer(tls.sslSession())), false);
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
        byte[] body;
        try {
            body = Responses.body(request, maxRequestBytes);
        } catch (Responses.BodyRefused e) {
            return error(response, callback, KmsError.REQUEST_TOO_LARGE, e.getMessage());
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

    private static X509Certificate peer(SSLSession session) {
        try {
            return (X509Certificate) session.getPeerCertificates()[0];
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    private static boolean error(Response response, Callback callback, KmsError kind, String message) {
        return error(response, callback, kind.status(), kind, message);
    }

    private static boolean error(Response response, Callback callback, int status, KmsError kind, String message) {
        return Responses.error(response, callback, status, kind.name(), message);
    }

    private static boolean json(Response response, Callback callback, int status, Object body) {
        return Responses.json(response, callback, status, body);
    }
}
