package io.ciphertrail.core.kms;

/** No KEK by that alias or version exists. Messages name the key, never key material. */
public class UnknownKeyException extends KmsException {
    private static final long serialVersionUID = 1L;

    public UnknownKeyException(String message) {
        super(message);
    }

    public UnknownKeyException(String message, Throwable cause) {
        super(message, cause);
    }
}
