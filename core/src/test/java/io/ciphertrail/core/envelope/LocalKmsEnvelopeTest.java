package io.ciphertrail.core.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.KmsFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
        assertReason(() -> withoutKey.decrypt(topic, headers, envelope), Reason.KEK_MISMATCH);
    }

    /**
     * The operator scenario: the key store is moved away while the platform runs, records are produced, and the
     * original is put back. No client ever makes a new store or key on its own; after an explicit start-over the
     * records written under the replacement key read as KEK_MISMATCH, never as TAMPERED.
     */
    @Test
    void aKeyStoreMovedAwayIsNeverSilentlyReplacedAndItsReplacementsRecordsReadAsKekMismatch(@TempDir Path elsewhere) throws Exception {
        Headers headers = tracedHeaders();
        byte[] before = encryptor().encrypt(topic, headers, bytes(10));
        Path store = dir.resolve("keks.p12");
        Files.move(store, elsewhere.resolve("keks.p12"));

        Map<String, Object> settings = KmsFixture.localSettings(dir);
        assertThatThrownBy(() -> KmsConfig.kms(settings)).hasMessageContaining(store.toString()).hasMessageContaining("ciphertrail keys init");
        assertThatThrownBy(() -> KmsConfig.admin(settings)).hasMessageContaining(store.toString()).hasMessageContaining("restore it");
        assertThat(store).doesNotExist();

        KmsConfig.initialize(settings);
        try (KmsAdmin replacement = KmsConfig.admin(settings)) {
            replacement.create("ciphertrail/topic/" + topic);
        }
        byte[] during = client(settings).encryptor().encrypt(topic, headers, bytes(11));
        Files.move(elsewhere.resolve("keks.p12"), store, StandardCopyOption.REPLACE_EXISTING);

        EnvelopeDecryptor consumer = client(settings).decryptor();
        assertThat(consumer.decrypt(topic, headers, before)).isEqualTo(bytes(10));
        assertThatThrownBy(() -> consumer.decrypt(topic, headers, during)).isInstanceOfSatisfying(EnvelopeException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.KEK_MISMATCH);
            assertThat(e.getMessage()).contains("ciphertrail/topic/" + topic + " v1").contains("Restore the original store");
        });
    }

    private EnvelopeCrypto client(Map<String, Object> settings) {
        return closeLater(EnvelopeCrypto.create(settings, CryptoListener.NONE));
    }
}
