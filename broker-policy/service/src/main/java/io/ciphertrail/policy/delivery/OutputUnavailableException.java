package io.ciphertrail.policy.delivery;

/**
 * A topic the service must write to (quarantine, audit) is missing, or the service cannot tell whether an
 * output topic exists. Nothing is written for the record: its transaction is not committed, so the record
 * stays in its ingress topic and is processed again after a back-off ({@link WriteFailures}).
 */
public final class OutputUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OutputUnavailableException(String message) {
        super(message);
    }

    public OutputUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /** True when {@code error} or one of its causes is an OutputUnavailableException. */
    public static boolean isCauseOf(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof OutputUnavailableException) {
                return true;
            }
        }
        return false;
    }
}
