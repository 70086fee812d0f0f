package io.ciphertrail.core.pki;

/**
 * A certificate request that is not signed as it stands: the reason says which rule it breaks, the message
 * what the request asked for and what to do instead. Neither ever contains key material.
 */
public final class CsrRefusedException extends PkiException {
    private static final long serialVersionUID = 1L;

    /** Why a request is refused. */
    public enum Reason {
        /** The request is not PKCS#10, or its parts cannot be read. */
        MALFORMED,
        /** The request was not signed by the key it asks to certify (no proof of possession). */
        INVALID_SIGNATURE,
        /** An RSA key under 2048 bits. */
        WEAK_KEY,
        /** Neither RSA nor EC on P-256, P-384 or P-521 (an unknown or explicit curve, DSA, ...). */
        UNSUPPORTED_KEY,
        /** The subject has no common name, several, or one X.509 does not allow. */
        NO_IDENTITY,
        /** A subject alternative name of a kind the CA does not certify (only DNS, IP and URI). */
        UNSUPPORTED_NAME,
        /** An extension the CA would not grant as asked (key usage, basic constraints, ...): the CA decides those. */
        UNSUPPORTED_EXTENSION
    }

    private final Reason reason;

    public CsrRefusedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
