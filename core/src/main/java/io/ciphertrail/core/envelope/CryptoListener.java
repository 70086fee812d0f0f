package io.ciphertrail.core.envelope;

import io.ciphertrail.core.kms.KekRef;

/**
 * What the envelope layer reports, so client libraries can publish metrics without touching crypto
 * code. Called on hot paths: implementations must be cheap and must not throw. Only topics, sizes,
 * reason codes and key references are passed, never key material or content.
 */
public interface CryptoListener {
    CryptoListener NONE = new CryptoListener() {
    };

    /** A KMS operation: {@code resolve}, {@code generate}, {@code unwrap} or {@code derive}. */
    enum KmsOperation { RESOLVE, GENERATE, UNWRAP, DERIVE }

    default void recordEncrypted(String topic, int plaintextBytes, int envelopeBytes) {
    }

    default void recordDecrypted(String topic, int envelopeBytes) {
    }

    default void recordFailed(String topic, EnvelopeException.Reason reason) {
    }

    /**
     * A part of a record was handed over without verification, as a migration setting allows; {@code reason}
     * is what it would have failed with ({@code NOT_ENCRYPTED}, {@code UNAUTHENTICATED_DELETE}).
     */
    default void recordPassedThrough(String topic, EnvelopeException.Reason reason) {
    }

    /** A new data key took over for a topic. */
    default void dataKeyRotated(String topic, KekRef kek) {
    }

    default void kmsCall(KmsOperation operation, long nanos, boolean success) {
    }
}
