package io.ciphertrail.core.kms;

/** The KMS refused this caller (wrong PIN, password or permission). Messages name the key, never key material. */
public class KmsAccessDeniedException extends KmsException {
    private static final long serialVersionUID = 1L;

    public KmsAccessDeniedException(String message) {
        super(message);
    }

    public KmsAccessDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}
