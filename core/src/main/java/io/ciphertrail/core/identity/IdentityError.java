package io.ciphertrail.core.identity;

import io.ciphertrail.core.pki.CsrRefusedException;

/**
 * Why the trust service's CA refused or failed a call, each with its HTTP status. Shared by both ends, so a
 * workload's error names the same code the audit trail records.
 */
public enum IdentityError {
    /** No bootstrap token with this value exists (never issued, or mistyped). */
    TOKEN_UNKNOWN(401, false),
    /** The bootstrap token's time to live is over. */
    TOKEN_EXPIRED(401, false),
    /** The bootstrap token was used already: tokens are single use. */
    TOKEN_USED(401, false),
    /** The request asks for an identity (or names) other than the token's or the current certificate's. */
    WRONG_IDENTITY(403, false),
    /** The identity is barred: no certificate is issued for it until an administrator lifts the bar. */
    IDENTITY_BARRED(403, false),
    /** The caller may not administer tokens or bars. */
    NOT_ALLOWED(403, false),
    /** An RSA key under 2048 bits. */
    WEAK_KEY(422, false),
    /** A key of a kind or on a curve the CA does not certify. */
    UNSUPPORTED_KEY(422, false),
    /** The request breaks another rule of certificate requests (signature, subject, names, extensions). */
    BAD_CSR(422, false),
    /** The body is not a version 1 request. */
    BAD_REQUEST(400, false),
    /** The body exceeds the service's limit. */
    REQUEST_TOO_LARGE(413, false),
    /** The caller (or its address, on the bootstrap listener) exceeded its rate; retrying later helps. */
    RATE_LIMITED(429, true),
    /** This trust service runs no CA. */
    CA_OFF(404, false),
    /** The CA cannot decide now (its ledger of tokens and bars is unreachable); retrying later helps. */
    CA_UNAVAILABLE(503, true),
    /** Anything else: the service's log has the details under the error id in the message. */
    INTERNAL(500, true);

    private final int status;
    private final boolean retriable;

    IdentityError(int status, boolean retriable) {
        this.status = status;
        this.retriable = retriable;
    }

    public int status() {
        return status;
    }

    /** Whether asking again (here or at another instance) may succeed; refusals are final. */
    public boolean retriable() {
        return retriable;
    }

    /** Whether a different bootstrap token would help: the token source may hold a new one by now. */
    public boolean tokenProblem() {
        return this == TOKEN_UNKNOWN || this == TOKEN_EXPIRED || this == TOKEN_USED;
    }

    /** The code a refused certificate request gets. */
    public static IdentityError of(CsrRefusedException refusal) {
        return switch (refusal.reason()) {
            case WEAK_KEY -> WEAK_KEY;
            case UNSUPPORTED_KEY -> UNSUPPORTED_KEY;
            default -> BAD_CSR;
        };
    }

    /** The kind a client reads from an error body, by code or else by status (a newer service's code). */
    public static IdentityError of(String code, int status) {
        for (IdentityError error : values()) {
            if (error.name().equals(code)) {
                return error;
            }
        }
        return status == 429 ? RATE_LIMITED : status >= 500 ? CA_UNAVAILABLE : BAD_REQUEST;
    }
}
