package io.ciphertrail.trust.policy;

/** A key policy file that cannot be used; the message names the file, the rule and the field, and the fix. */
public class KeyPolicyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KeyPolicyException(String message) {
        super(message);
    }

    public KeyPolicyException(String message, Throwable cause) {
        super(message, cause);
    }
}
