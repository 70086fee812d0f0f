package io.ciphertrail.trust.http;

import io.ciphertrail.core.identity.IdentityError;
import io.ciphertrail.trust.ca.WorkloadCa;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The bootstrap listener: TLS authenticates the server only, because a workload asking for its first certificate has
 * none. It serves {@code POST /v1/certificates/bootstrap} alone; the caller is {@code User:ANONYMOUS} and its one-time
 * token is its only credential, so calls are rate limited per client address.
 */
final class BootstrapHandler extends Handler.Abstract {
    static final String ANONYMOUS = "User:ANONYMOUS";

    private final CertificateHandler certificates;
    private final RateLimits limits;
    private final TrustMetrics metrics;

    BootstrapHandler(CertificateHandler certificates, RateLimits limits, TrustMetrics metrics) {
        this.certificates = certificates;
        this.limits = limits;
        this.metrics = metrics;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String address = Request.getRemoteAddr(request);
        long wait = limits.waitMillis(address);
        if (wait > 0) {
            metrics.rateLimited(address);
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(Math.max(1, (wait + 999) / 1000)));
            return Responses.error(response, callback, IdentityError.RATE_LIMITED.status(), IdentityError.RATE_LIMITED.name(),
                    address + " exceeded " + limits.perSecond() + " bootstrap calls per second at this instance; retry in " + wait + " ms");
        }
        return certificates.handle(request, response, callback, new WorkloadCa.Requester(ANONYMOUS, address, null), true);
    }
}
