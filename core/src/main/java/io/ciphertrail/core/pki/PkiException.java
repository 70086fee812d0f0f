package io.ciphertrail.core.pki;

/** A certificate or key could not be created, read, written or validated. The message says which and why. */
public class PkiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
