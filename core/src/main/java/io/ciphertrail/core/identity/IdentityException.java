package io.ciphertrail.core.identity;

import org.apache.kafka.common.KafkaException;

/**
 * A workload identity could not be obtained or kept: the message names the identity, the trust service and
 * the cause, and says what to do. Never carries a token or key material.
 */
public class IdentityException extends KafkaException {
    private static final long serialVersionUID = 1L;

    private final IdentityError error;

    public IdentityException(IdentityError error, String message) {
        super(message);
        this.error = error;
    }

    public IdentityException(IdentityError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    /** The trust service's code, or {@link IdentityError#CA_UNAVAILABLE} when it could not be reached. */
    public IdentityError error() {
        return error;
    }
}
