package io.ciphertrail.core.kms;

import java.util.concurrent.CompletionStage;

/**
 * A key management service that holds key encryption keys (KEKs) and never lets them out: data keys
 * are generated and wrapped, and wrapped keys unwrapped, by the KMS. Asynchronous, since a remote KMS
 * or an HSM may be slow; the envelope layer keeps these calls off the send path.
 *
 * <p>Failures complete the stage exceptionally with one {@link KmsException} subtype per kind:
 * {@link UnknownKeyException}, {@link KeyDestroyedException}, {@link KeyNotUsableException},
 * {@link KmsAccessDeniedException}, {@link KmsUnavailableException}.
 */
public interface Kms extends AutoCloseable {

    /** The newest active version of a KEK alias. */
    CompletionStage<KekRef> resolveAlias(String alias);

    /** A new random data key and its form wrapped under {@code kek}. */
    CompletionStage<GeneratedDek> generateDek(KekRef kek);

    /** Unwraps a data key; the caller destroys the returned key when done with it. */
    CompletionStage<Dek> unwrap(Edek edek);

    /**
     * A deterministic 256-bit key derived from {@code kek} for {@code purpose}: the same in every process
     * that can use the KEK, so deterministic encryption (of record keys) agrees across producers.
     */
    CompletionStage<Dek> deriveKey(KekRef kek, String purpose);

    @Override
    void close();
}
