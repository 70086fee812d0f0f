package io.ciphertrail.core.kms;

/** The KEK (version) existed but was destroyed; what it wrapped is gone for good. Messages name the key, never key material. */
public class KeyDestroyedException extends KmsException {
    private static final long serialVersionUID = 1L;

    public KeyDestroyedException(String message) {
        super(message);
    }

    public KeyDestroyedException(String message, Throwable cause) {
        super(message, cause);
    }
}
