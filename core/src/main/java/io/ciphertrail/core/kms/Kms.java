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

    /** A new data key and its wrapped form under {@code kek}, in the newest form the provider writes. */
    CompletionStage<GeneratedDek> generateDek(KekRef kek);

    /**
     * Like {@link #generateDek}, in a wrapped form that releases before envelope version 2 unwrap too: what a writer
     * asks for while it still writes envelope version 1 for such readers ({@code ciphertrail.envelope.format.version=1}).
     * Providers whose wrapped form did not change with envelope version 2 need not override it; a remote KMS need not
     * either, since its readers unwrap through the (upgraded) service.
     */
    default CompletionStage<GeneratedDek> generateDekForEarlierReaders(KekRef kek) {
        return generateDek(kek);
    }

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
