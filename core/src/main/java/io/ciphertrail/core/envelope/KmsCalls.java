package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.CryptoListener.KmsOperation;
import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.InvalidWrappedKeyException;
import io.ciphertrail.core.kms.KekMismatchException;
import io.ciphertrail.core.kms.KeyDestroyedException;
import io.ciphertrail.core.kms.KeyNotUsableException;
import io.ciphertrail.core.kms.KmsAccessDeniedException;
import io.ciphertrail.core.kms.UnknownKeyException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** KMS calls with a time limit, timing reported to the listener, and failures as envelope reasons. */
final class KmsCalls {
    private final Duration timeout;
    private final CryptoListener listener;

    KmsCalls(Duration timeout, CryptoListener listener) {
        this.timeout = timeout;
        this.listener = listener;
    }

    <T> T call(KmsOperation operation, String topic, Supplier<CompletionStage<T>> call) {
        long start = System.nanoTime();
        boolean success = false;
        try {
            T result = call.get().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            success = true;
            return result;
        } catch (TimeoutException e) {
            throw new EnvelopeException(Reason.KMS_UNAVAILABLE, topic, "no answer to " + operation.name().toLowerCase()
                    + " within " + timeout.toMillis() + " ms (" + EnvelopeConfig.KMS_TIMEOUT_MS_CONFIG + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnvelopeException(Reason.KMS_UNAVAILABLE, topic, "interrupted while waiting for the KMS", e);
        } catch (ExecutionException | CompletionException e) {
            throw failure(topic, e.getCause() != null ? e.getCause() : e);
        } catch (RuntimeException e) {
            throw failure(topic, e);
        } finally {
            listener.kmsCall(operation, System.nanoTime() - start, success);
        }
    }

    static EnvelopeException failure(String topic, Throwable cause) {
        if (cause instanceof EnvelopeException envelope) {
            return envelope;
        }
        Reason reason = reason(cause);
        String detail = cause.getMessage();
        // A KMS that names the kind itself (the key service's KMS_ACCESS_DENIED: ...) is not repeated.
        if (detail != null && detail.startsWith(reason.name() + ": ")) {
            detail = detail.substring(reason.name().length() + 2);
        }
        return new EnvelopeException(reason, topic, detail, cause);
    }

    private static Reason reason(Throwable cause) {
        if (cause instanceof KeyDestroyedException) {
            return Reason.KEK_DESTROYED;
        }
        if (cause instanceof UnknownKeyException) {
            return Reason.UNKNOWN_KEK;
        }
        if (cause instanceof InvalidWrappedKeyException) {
            return Reason.TAMPERED;
        }
        if (cause instanceof KekMismatchException) {
            return Reason.KEK_MISMATCH;
        }
        if (cause instanceof KeyNotUsableException) {
            return Reason.KEK_NOT_USABLE;
        }
        if (cause instanceof KmsAccessDeniedException) {
            return Reason.KMS_ACCESS_DENIED;
        }
        return Reason.KMS_UNAVAILABLE;
    }
}
