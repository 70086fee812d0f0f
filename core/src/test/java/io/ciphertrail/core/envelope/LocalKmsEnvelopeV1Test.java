package io.ciphertrail.core.envelope;

/**
 * The same behaviour from writers that still write envelope version 1, as they do during a rolling upgrade
 * ({@code ciphertrail.envelope.format.version=1}): every guarantee holds in both versions.
 */
class LocalKmsEnvelopeV1Test extends LocalKmsEnvelopeTest {
    @Override
    protected int formatVersion() {
        return 1;
    }
}
