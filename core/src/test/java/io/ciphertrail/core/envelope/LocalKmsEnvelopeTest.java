package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.KmsFixture;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKmsEnvelopeTest extends EnvelopeContract {
    @TempDir
    Path dir;

    @Override
    protected Map<String, Object> kmsConfigs() {
        return KmsFixture.local(dir);
    }

    @Test
    void aKmsWithoutTheKeyOrWithAnotherKeyUnderTheSameAliasCannotDecrypt(@TempDir Path otherDir) {
        Headers headers = tracedHeaders();
        byte[] envelope = encryptor().encrypt(topic, headers, bytes(10));

        Map<String, Object> other = KmsFixture.local(otherDir);
        EnvelopeDecryptor withoutKey = closeLater(new EnvelopeDecryptor(closeLater(KmsConfig.kms(other)),
                new EnvelopeConfig(other), new DekCache(10, 60_000, java.time.Clock.systemUTC()), CryptoListener.NONE, java.time.Clock.systemUTC()));
        assertReason(() -> withoutKey.decrypt(topic, headers, envelope), Reason.UNKNOWN_KEK);

        try (KmsAdmin otherAdmin = KmsConfig.admin(other)) {
            otherAdmin.create("ciphertrail/topic/" + topic);
        }
        assertReason(() -> withoutKey.decrypt(topic, headers, envelope), Reason.TAMPERED);
    }
}
