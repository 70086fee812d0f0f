package io.ciphertrail.core.kms;

/**
 * The KMS holds a key under the alias and version a wrapped data key names, but not the key that wrapped
 * it: the key's check value differs. Usually the key store was replaced (a store created anew where the
 * old one was lost or moved), never a sign that the record itself was altered. Messages name the key,
 * never key material or check values.
 */
public class KekMismatchException extends KmsException {
    private static final long serialVersionUID = 1L;

    public KekMismatchException(String message) {
        super(message);
    }
}
