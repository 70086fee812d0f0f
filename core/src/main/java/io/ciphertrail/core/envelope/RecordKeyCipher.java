package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.CryptoListener.KmsOperation;
import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMSIVBlockCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Deterministic encryption of record keys with AES-256-GCM-SIV (RFC 8452) and a fixed nonce: the
 * same key on the same topic always gives the same ciphertext, in every producer, so the default
 * partitioner and log compaction keep working. The price is that equal keys are visible as equal.
 *
 * <p>The key comes from the topic's own record-key KEK ({@code ciphertrail.envelope.record.key.kek.alias.template}),
 * derived in the KMS for the topic. Layout: {@code 0xC7 0x4B, version 0x01, u32 KEK version, ciphertext || tag}.
 * Associated data binds the topic and the KEK alias and version.
 */
final class RecordKeyCipher {
    static final byte MAGIC_0 = (byte) 0xC7;
    static final byte MAGIC_1 = 0x4B;
    private static final int HEADER_LENGTH = 7;
    private static final byte[] NONCE = new byte[12];

    private record Resolved(KekRef kek, byte[] key, long checkedAt) {
    }

    private final Kms kms;
    private final EnvelopeConfig config;
    private final Clock clock;
    private final Executor background;
    private final KmsCalls calls;
    private final ConcurrentHashMap<String, Resolved> current = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<KekRef, byte[]> derived = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicBoolean> refreshing = new ConcurrentHashMap<>();

    RecordKeyCipher(Kms kms, EnvelopeConfig config, CryptoListener listener, Clock clock, Executor background) {
        this.kms = kms;
        this.config = config;
        this.clock = clock;
        this.background = background;
        this.calls = new KmsCalls(config.kmsTimeout(), listener);
    }

    byte[] encrypt(String topic, byte[] key) {
        if (key == null) {
            return null;
        }
        Resolved resolved = current.computeIfAbsent(topic, this::resolve);
        if (clock.millis() - resolved.checkedAt() >= config.kekRefresh().toMillis()) {
            AtomicBoolean flag = refreshing.computeIfAbsent(topic, t -> new AtomicBoolean());
            if (flag.compareAndSet(false, true)) {
                background.execute(() -> {
                    try {
                        current.put(topic, resolve(topic));
                    } catch (RuntimeException e) {
                        // keep the current key; the next record past the refresh interval asks again
                    } finally {
                        flag.set(false);
                    }
                });
            }
        }
        int version = resolved.kek().version();
        byte[] sealed = process(true, resolved.key(), aad(topic, resolved.kek()), key, topic);
        return ByteBuffer.allocate(HEADER_LENGTH + sealed.length)
                .put(MAGIC_0).put(MAGIC_1).put((byte) 1).putInt(version).put(sealed).array();
    }

    byte[] decrypt(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length < 2 || data[0] != MAGIC_0 || data[1] != MAGIC_1) {
            if (config.unencryptedRecords() == EnvelopeConfig.UnencryptedRecords.PASSTHROUGH) {
                return data;
            }
            throw new EnvelopeException(Reason.NOT_ENCRYPTED, topic, "the record key is not encrypted");
        }
        if (data.length < HEADER_LENGTH + 16) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "encrypted record key truncated at " + data.length + " bytes");
        }
        if (data[2] != 1) {
            throw new EnvelopeException(Reason.UNSUPPORTED_VERSION, topic, "record key format version " + data[2]);
        }
        long version = ByteBuffer.wrap(data, 3, 4).getInt() & 0xFFFFFFFFL;
        if (version < 1 || version > Integer.MAX_VALUE) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "record key KEK version " + version + " is out of range");
        }
        KekRef kek = new KekRef(config.recordKeyKekAlias(topic), (int) version);
        byte[] key = derived.computeIfAbsent(kek, k -> derive(topic, k));
        return process(false, key, aad(topic, kek), Arrays.copyOfRange(data, HEADER_LENGTH, data.length), topic);
    }

    private Resolved resolve(String topic) {
        String alias = config.recordKeyKekAlias(topic);
        KekRef kek = calls.call(KmsOperation.RESOLVE, topic, () -> kms.resolveAlias(alias));
        return new Resolved(kek, derived.computeIfAbsent(kek, k -> derive(topic, k)), clock.millis());
    }

    private byte[] derive(String topic, KekRef kek) {
        Dek dek = calls.call(KmsOperation.DERIVE, topic, () -> kms.deriveKey(kek, "record-key"));
        try {
            return dek.copyMaterial();
        } finally {
            dek.destroy();
        }
    }

    private static byte[] process(boolean encrypt, byte[] key, byte[] aad, byte[] input, String topic) {
        GCMSIVBlockCipher cipher = new GCMSIVBlockCipher(AESEngine.newInstance());
        cipher.init(encrypt, new AEADParameters(new KeyParameter(key), 128, NONCE, aad));
        byte[] out = new byte[cipher.getOutputSize(input.length)];
        try {
            int length = cipher.processBytes(input, 0, input.length, out, 0);
            length += cipher.doFinal(out, length);
            return length == out.length ? out : Arrays.copyOf(out, length);
        } catch (InvalidCipherTextException e) {
            throw new EnvelopeException(Reason.TAMPERED, topic,
                    "the record key does not verify: it was altered, or encrypted for another topic", e);
        }
    }

    private static byte[] aad(String topic, KekRef kek) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("ciphertrail record key v1".getBytes(StandardCharsets.US_ASCII));
        for (String part : new String[] {topic, kek.alias()}) {
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            out.write(bytes.length >>> 8);
            out.write(bytes.length);
            out.writeBytes(bytes);
        }
        out.writeBytes(ByteBuffer.allocate(4).putInt(kek.version()).array());
        return out.toByteArray();
    }

    void close() {
        derived.values().forEach(key -> Arrays.fill(key, (byte) 0));
        derived.clear();
        current.clear();
    }
}
