package io.ciphertrail.core.identity;

import java.util.List;

/**
 * Version 1 of the trust service's CA API: JSON over HTTPS, beside the key service's {@code /v1/keys/}.
 *
 * <ul>
 *   <li>{@code POST /v1/certificates/bootstrap} on the server-authenticated bootstrap listener: a first certificate
 *       for a {@link CertificateRequest} carrying a one-time token.</li>
 *   <li>{@code POST /v1/certificates/renew} on the mutual-TLS listener: a new certificate for the identity of the
 *       caller's current certificate.</li>
 *   <li>{@code POST /v1/certificates/tokens}, {@code /bar}, {@code /unbar} and {@code GET /v1/certificates/barred}
 *       (administrators), and {@code GET /v1/certificates/bundle} (anyone with a certificate), on the mutual-TLS
 *       listener.</li>
 * </ul>
 *
 * Errors are the key service's {@code {"error": CODE, "message": ...}} with an {@link IdentityError} code. Tokens
 * appear only in requests and in the token response, and never in {@code toString()}.
 */
public final class IdentityApi {
    public static final String PREFIX = "/v1/certificates/";
    public static final String BOOTSTRAP = PREFIX + "bootstrap";
    public static final String RENEW = PREFIX + "renew";
    public static final String TOKENS = PREFIX + "tokens";
    public static final String BAR = PREFIX + "bar";
    public static final String UNBAR = PREFIX + "unbar";
    public static final String BARRED = PREFIX + "barred";
    public static final String BUNDLE = PREFIX + "bundle";

    private IdentityApi() {
    }

    /**
     * A certificate request: the PKCS#10 request (PEM), a lifetime the workload asks for (the service's policy
     * bounds it; absent for the policy's default) and, for a first certificate, the bootstrap token.
     */
    public record CertificateRequest(String csr, Long lifetimeSeconds, String token) {
        @Override
        public String toString() {
            return "CertificateRequest[lifetimeSeconds=" + lifetimeSeconds + (token == null ? "" : ", token=(hidden)") + "]";
        }
    }

    /**
     * An issued certificate: the chain (leaf first, PEM), the trust bundle (every CA certificate peers should trust
     * now, PEM: during a CA rotation the old and the new one), and the leaf's identity, SPIFFE ID, serial (hex) and
     * validity (epoch milliseconds).
     */
    public record CertificateResponse(String identity, String spiffeId, String serial, long notBefore, long notAfter,
                                      String chain, String bundle) {
    }

    /**
     * A one-time bootstrap token for {@code identity}, valid {@code ttlSeconds}. {@code server} and the names allow a
     * server certificate (serverAuth and clientAuth, for a broker) with exactly those DNS names and IP addresses.
     */
    public record TokenRequest(String identity, Long ttlSeconds, Boolean server, List<String> dnsNames, List<String> ipAddresses) {
    }

    /** The token itself (shown once, stored only as a hash), its id (a hash prefix, as the audit trail names it) and expiry. */
    public record TokenResponse(String token, String tokenId, String identity, long expiresAt) {
        @Override
        public String toString() {
            return "TokenResponse[tokenId=" + tokenId + ", identity=" + identity + ", expiresAt=" + expiresAt + ", token=(hidden)]";
        }
    }

    /** Bars (or, at {@code /unbar}, lifts the bar on) an identity, with the reason for the audit trail. */
    public record BarRequest(String identity, String reason) {
    }

    /** A barred identity: since when (epoch milliseconds), by whom and why. */
    public record BarredIdentity(String identity, String reason, String by, long at) {
    }

    /** Every barred identity. */
    public record BarredList(List<BarredIdentity> barred) {
    }

    /** The trust bundle alone (PEM). */
    public record Bundle(String bundle) {
    }
}
