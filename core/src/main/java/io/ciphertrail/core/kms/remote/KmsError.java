package io.ciphertrail.core.kms.remote;

import io.ciphertrail.core.kms.InvalidWrappedKeyException;
import io.ciphertrail.core.kms.KekMismatchException;
import io.ciphertrail.core.kms.KeyDestroyedException;
import io.ciphertrail.core.kms.KeyNotUsableException;
import io.ciphertrail.core.kms.KmsAccessDeniedException;
import io.ciphertrail.core.kms.KmsException;
import io.ciphertrail.core.kms.KmsUnavailableException;
import io.ciphertrail.core.kms.UnknownKeyException;
import java.util.function.Function;
import org.apache.kafka.common.config.ConfigException;

/**
 * The failure kinds that cross the wire, each with its HTTP status and the exception it is on either side,
 * so a client of the key service sees the same exception type a local KMS would throw. Order matters:
 * the first kind whose type matches a server-side exception names it.
 */
public enum KmsError {
    KEY_DESTROYED(410, KeyDestroyedException.class, KeyDestroyedException::new),
    UNKNOWN_KEY(404, UnknownKeyException.class, UnknownKeyException::new),
    /** The backend holds another key under the alias and version than the one that wrapped the data key. */
    KEK_MISMATCH(409, KekMismatchException.class, KekMismatchException::new),
    INVALID_WRAPPED_KEY(422, InvalidWrappedKeyException.class, message -> new InvalidWrappedKeyException(message, null)),
    KEY_NOT_USABLE(409, KeyNotUsableException.class, KeyNotUsableException::new),
    KMS_ACCESS_DENIED(403, KmsAccessDeniedException.class, KmsAccessDeniedException::new),
    KMS_UNAVAILABLE(503, KmsUnavailableException.class, KmsUnavailableException::new),
    /** Creating an alias that exists: {@link IllegalStateException}, as a local KMS throws it. */
    KEY_EXISTS(409, IllegalStateException.class, IllegalStateException::new),
    /** The request is malformed: a client bug or a version mismatch. */
    BAD_REQUEST(400, IllegalArgumentException.class, KmsException::new),
    /** The caller exceeded its request rate; retrying later helps. */
    RATE_LIMITED(429, null, KmsUnavailableException::new),
    /** The request body exceeds the server's limit. */
    REQUEST_TOO_LARGE(413, null, KmsException::new),
    /** Anything else: the server's log has the details. */
    INTERNAL(500, null, KmsException::new);

    private final int status;
    private final Class<? extends RuntimeException> type;
    private final Function<String, RuntimeException> factory;

    KmsError(int status, Class<? extends RuntimeException> type, Function<String, RuntimeException> factory) {
        this.status = status;
        this.type = type;
        this.factory = factory;
    }

    public int status() {
        return status;
    }

    /** The kind of a server-side failure. */
    public static KmsError of(Throwable failure) {
        for (KmsError kind : values()) {
            if (kind.type != null && kind.type.isInstance(failure)) {
                return kind;
            }
        }
        // A backend that cannot work as configured (its key store is missing, say) is unavailable, and says why.
        return failure instanceof KmsException || failure instanceof ConfigException ? KMS_UNAVAILABLE : INTERNAL;
    }

    /** The kind a client reads from an error body, by code or else by status (a newer server's code). */
    public static KmsError of(String code, int status) {
        for (KmsError kind : values()) {
            if (kind.name().equals(code)) {
                return kind;
            }
        }
        for (KmsError kind : values()) {
            if (kind.status == status) {
                return kind;
            }
        }
        return status >= 500 ? KMS_UNAVAILABLE : INTERNAL;
    }

    /** The exception a client throws for this kind. */
    public RuntimeException exception(String message) {
        return factory.apply(message);
    }
}
