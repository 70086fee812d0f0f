package io.ciphertrail.core.kms;

/** A wrapped data key does not verify under the KEK it names: it was altered or belongs to another key. */
public class InvalidWrappedKeyException extends KmsException {
    private static final long serialVersionUID = 1L;

    public InvalidWrappedKeyException(String message, Throwable cause) {
        super(message, cause);
    }
}
