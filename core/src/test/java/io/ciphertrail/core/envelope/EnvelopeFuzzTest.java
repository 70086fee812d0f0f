package io.ciphertrail.core.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.KmsFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.common.header.Headers;

/**
 * A bounded fuzz run of the parser and decryptor in the normal suite: random bytes (after the magic and a version
 * this client reads), and valid envelopes of version 2 (the default) with random mutations, must end in the value (mutation undone by chance) or an
 * {@link EnvelopeException}, never another exception, never different bytes, never a hang.
 */
class EnvelopeFuzzTest {
    private static final String TOPIC = "fuzz";
    private static Path dir;
    private static Kms kms;
    private static EnvelopeDecryptor decryptor;
    private static byte[] plaintext;
    private static byte[] envelope;
    private static Headers headers;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("ciphertrail-fuzz-");
        Map<String, Object> configs = KmsFixture.local(dir);
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            admin.create("ciphertrail/topic/" + TOPIC);
        }
        kms = KmsConfig.kms(configs);
        EnvelopeConfig config = new EnvelopeConfig(Map.of("ciphertrail.envelope.protected.headers", "tenant"));
        DekCache cache = new DekCache(100, 60_000, Clock.systemUTC());
        headers = EnvelopeContract.tracedHeaders();
        headers.add("tenant", new byte[] {1, 2, 3});
        plaintext = EnvelopeContract.bytes(64);
        try (EnvelopeEncryptor encryptor = new EnvelopeEncryptor(kms, config, cache, CryptoListener.NONE, Clock.systemUTC())) {
            envelope = encryptor.encrypt(TOPIC, headers, plaintext);
        }
        assertThat(envelope[2]).as("the default version").isEqualTo((byte) 2);
        decryptor = new EnvelopeDecryptor(kms, config, cache, CryptoListener.NONE, Clock.systemUTC());
    }

    @AfterContainer
    static void tearDown() throws IOException {
        decryptor.close();
        kms.close();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 3000)
    void randomBytesNeverCrashTheParser(@ForAll("anyBytes") byte[] data) {
        try {
            Envelope.parse(data, TOPIC);
        } catch (EnvelopeException expected) {
            assertThat(expected.reason()).isNotNull();
        }
    }

    @Property(tries = 1500)
    void mutatedEnvelopesDecryptToTheOriginalOrFailTyped(@ForAll("mutatedEnvelopes") byte[] mutated) {
        try {
            byte[] result = decryptor.decrypt(TOPIC, headers, mutated);
            assertThat(mutated).isEqualTo(envelope);
            assertThat(result).isEqualTo(plaintext);
        } catch (EnvelopeException expected) {
            assertThat(expected.getMessage()).contains(TOPIC);
        }
    }

    @Provide
    Arbitrary<byte[]> anyBytes() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(400);
        Arbitrary<byte[]> withMagic = random.map(tail -> {
            byte[] data = new byte[tail.length + 3];
            data[0] = (byte) 0xC7;
            data[1] = 0x54;
            // every version this client reads: 1, and 2 (what writers write by default)
            data[2] = (byte) (1 + (tail.length & 1));
            System.arraycopy(tail, 0, data, 3, tail.length);
            return data;
        });
        return Arbitraries.oneOf(random, withMagic);
    }

    @Provide
    Arbitrary<byte[]> mutatedEnvelopes() {
        Arbitrary<Integer> position = Arbitraries.integers().between(0, 1_000_000);
        Arbitrary<byte[]> setByte = Arbitraries.integers().between(0, 255).flatMap(value -> position.map(p -> {
            byte[] copy = envelope.clone();
            copy[p % copy.length] = (byte) (int) value;
            return copy;
        }));
        Arbitrary<byte[]> truncate = position.map(p -> Arrays.copyOf(envelope, p % envelope.length));
        Arbitrary<byte[]> insert = position.map(p -> {
            int at = p % envelope.length;
            byte[] copy = new byte[envelope.length + 1];
            System.arraycopy(envelope, 0, copy, 0, at);
            copy[at] = (byte) (int) p;
            System.arraycopy(envelope, at, copy, at + 1, envelope.length - at);
            return copy;
        });
        Arbitrary<byte[]> remove = position.map(p -> {
            int at = p % envelope.length;
            byte[] copy = new byte[envelope.length - 1];
            System.arraycopy(envelope, 0, copy, 0, at);
            System.arraycopy(envelope, at + 1, copy, at, envelope.length - at - 1);
            return copy;
        });
        return Arbitraries.oneOf(setByte, truncate, insert, remove);
    }
}
