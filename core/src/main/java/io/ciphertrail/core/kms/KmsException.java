package io.ciphertrail.core.kms;

/** The KMS could not do what was asked. Subtypes say why. Messages name the key, never key material. */
public class KmsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KmsException(String message) {
        super(message);
    }

    public KmsException(String message, Throwable cause) {
        super(message, cause);
    }
}
