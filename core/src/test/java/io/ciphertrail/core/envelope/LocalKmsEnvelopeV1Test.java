package io.ciphertrail.core.envelope;

import io.ciphertrail.core.kms.KmsFixture;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same behaviour from writers that still write envelope version 1, as they do during a rolling upgrade
 * ({@code ciphertrail.envelope.format.version=1}): every guarantee holds in both versions.
 */
class LocalKmsEnvelopeV1Test extends EnvelopeContract {
    @TempDir
    Path dir;

    @Override
    protected Map<String, Object> kmsConfigs() {
        return KmsFixture.local(dir);
    }

    @Override
    protected int formatVersion() {
        return 1;
    }
}
