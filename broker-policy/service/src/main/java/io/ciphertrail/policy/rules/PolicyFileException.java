package io.ciphertrail.policy.rules;

/** A policy file that cannot be used; the message names the file, the policy and the field, and the fix. */
public class PolicyFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PolicyFileException(String message) {
        super(message);
    }

    public PolicyFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
