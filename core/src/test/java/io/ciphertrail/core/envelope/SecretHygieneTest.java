package io.ciphertrail.core.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.KmsFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Keys, passwords and plaintext never reach logs, exception messages or toString output. */
class SecretHygieneTest {
    private static final String PLAINTEXT_MARKER = "CARD-4111-1111-1111-1111";

    @TempDir
    Path dir;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeEach
    void captureLogs() {
        logs.start();
        root.addAppender(logs);
    }

    @AfterEach
    void stopCapturing() {
        root.detachAppender(logs);
    }

    @Test
    void failuresAndDescriptionsCarryNoSecrets() {
        Map<String, Object> configs = KmsFixture.local(dir);
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            admin.create("ciphertrail/topic/cards");
        }
        List<String> texts = new ArrayList<>();
        DekCache cache = new DekCache(10, 60_000, Clock.systemUTC());
        try (Kms kms = KmsConfig.kms(configs);
             EnvelopeEncryptor encryptor = new EnvelopeEncryptor(kms, new EnvelopeConfig(configs), cache, CryptoListener.NONE, Clock.systemUTC());
             EnvelopeDecryptor decryptor = new EnvelopeDecryptor(kms, new EnvelopeConfig(configs), new DekCache(10, 60_000, Clock.systemUTC()),
                     CryptoListener.NONE, Clock.systemUTC())) {
            Headers headers = EnvelopeContract.tracedHeaders();
            byte[] envelope = encryptor.encrypt("cards", headers, PLAINTEXT_MARKER.getBytes(StandardCharsets.UTF_8));
            Envelope parsed = Envelope.parse(envelope, "cards");
            texts.add(parsed.toString());
            texts.add(parsed.binding().toString());
            texts.add(kms.toString());

            byte[] tampered = envelope.clone();
            tampered[tampered.length - 1] ^= 1;
            for (Throwable failure : List.of(
                    catchThrowable(() -> decryptor.decrypt("cards", headers, tampered)),
                    catchThrowable(() -> decryptor.decrypt("other", headers, envelope)),
                    catchThrowable(() -> decryptor.decrypt("cards", headers, PLAINTEXT_MARKER.getBytes(StandardCharsets.UTF_8))),
                    catchThrowable(() -> encryptor.encrypt("no-key", headers, PLAINTEXT_MARKER.getBytes(StandardCharsets.UTF_8))))) {
                assertThat(failure).isInstanceOf(EnvelopeException.class);
                StringWriter trace = new StringWriter();
                failure.printStackTrace(new PrintWriter(trace));
                texts.add(trace.toString());
            }
        }
        logs.list.forEach(event -> texts.add(event.getFormattedMessage()));

        Dek probe = Dek.generate();
        for (String text : texts) {
            assertThat(text).doesNotContain(PLAINTEXT_MARKER).doesNotContain(KmsFixture.SECRET);
        }
        assertThat(probe.toString()).doesNotContain(HexFormat.of().formatHex(probe.copyMaterial()));
    }
}
