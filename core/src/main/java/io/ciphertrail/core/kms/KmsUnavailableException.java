package io.ciphertrail.core.kms;

/** The KMS could not be reached or did not answer in time; retrying may help. Messages name the key, never key material. */
public class KmsUnavailableException extends KmsException {
    private static final long serialVersionUID = 1L;

    public KmsUnavailableException(String message) {
        super(message);
    }

    public KmsUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
