package io.ciphertrail.core.kms;

/** The key exists but may not be used to wrap or unwrap data keys. Messages name the key, never key material. */
public class KeyNotUsableException extends KmsException {
    private static final long serialVersionUID = 1L;

    public KeyNotUsableException(String message) {
        super(message);
    }

    public KeyNotUsableException(String message, Throwable cause) {
        super(message, cause);
    }
}
