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
 * Deterministic encryption of record keys: the same key on the same topic always gives the same
 * ciphertext, in every producer, so the default partitioner and log compaction keep working. The price
 * is that equal keys are visible as equal.
 *
 * <p>Version 2 (written): AES-256-SIV (RFC 5297, {@link AesSiv}), layout
 * {@code 0xC7 0x4B, 0x02, u32 KEK version, synthetic IV (16), ciphertext}. Version 1 (read forever):
 * AES-256-GCM-SIV (RFC 8452) with a zero nonce, {@code 0xC7 0x4B, 0x01, u32 KEK version, ciphertext || tag}.
 * Both bind the topic and the KEK alias and version as associated data. The keys come from the topic's
 * own record-key KEK ({@code ciphertrail.envelope.record.key.kek.alias.template}), derived in the KMS.
 * Specification and test vectors: {@code docs/wire-format.md}.
 */
final class RecordKeyCipher {
    static final byte MAGIC_0 = (byte) 0xC7;
    static final byte MAGIC_1 = 0x4B;
    static final int VERSION = 2;
    private static final int HEADER_LENGTH = 7;
    private static final byte[] NONCE = new byte[12];

    private record Resolved(KekRef kek, AesSiv.Bound siv, long checkedAt) {
    }

    /** What a record key is bound to: its topic and the KEK version its keys are derived from. */
    private record Binding(String topic, KekRef kek) {
    }

    private final Kms kms;
    private final EnvelopeConfig config;
    private final Clock clock;
    private final Executor background;
    private final KmsCalls calls;
    private final ConcurrentHashMap<String, Resolved> current = new ConcurrentHashMap<>();
    /** Version 1 keys (AES-GCM-SIV, 32 bytes) by KEK version. */
    private final ConcurrentHashMap<KekRef, byte[]> derived = new ConcurrentHashMap<>();
    /** Version 2 keys (AES-SIV), bound to topic and KEK version, ready for use. */
    private final ConcurrentHashMap<Binding, AesSiv.Bound> sivs = new ConcurrentHashMap<>();
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
        byte[] sealed = new byte[HEADER_LENGTH + AesSiv.BLOCK + key.length];
        sealed[0] = MAGIC_0;
        sealed[1] = MAGIC_1;
        sealed[2] = VERSION;
        sealed[3] = (byte) (version >>> 24);
        sealed[4] = (byte) (version >>> 16);
        sealed[5] = (byte) (version >>> 8);
        sealed[6] = (byte) version;
        resolved.siv().encryptInto(key, sealed, HEADER_LENGTH);
        return sealed;
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
        if (data[2] != 1 && data[2] != VERSION) {
            throw new EnvelopeException(Reason.UNSUPPORTED_VERSION, topic, "record key format version " + data[2]
                    + ", this client reads versions 1 and " + VERSION);
        }
        long version = ByteBuffer.wrap(data, 3, 4).getInt() & 0xFFFFFFFFL;
        if (version < 1 || version > Integer.MAX_VALUE) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "record key KEK version " + version + " is out of range");
        }
        KekRef kek = new KekRef(config.recordKeyKekAlias(topic), (int) version);
        if (data[2] == 1) {
            byte[] key = derived.computeIfAbsent(kek, k -> derive(topic, k, "record-key"));
            return process(false, key, aad(topic, kek, 1), Arrays.copyOfRange(data, HEADER_LENGTH, data.length), topic);
        }
        try {
            return siv(topic, kek).decrypt(data, HEADER_LENGTH, data.length - HEADER_LENGTH);
        } catch (javax.crypto.AEADBadTagException e) {
            throw tampered(topic, e);
        }
    }

    private Resolved resolve(String topic) {
        String alias = config.recordKeyKekAlias(topic);
        KekRef kek = calls.call(KmsOperation.RESOLVE, topic, () -> kms.resolveAlias(alias));
        return new Resolved(kek, siv(topic, kek), clock.millis());
    }

    /** The AES-256-SIV key for version 2: two keys derived for their purposes, S2V's then CTR's. */
    private AesSiv.Bound siv(String topic, KekRef kek) {
        return sivs.computeIfAbsent(new Binding(topic, kek), binding -> {
            byte[] s2v = derive(topic, kek, "record-key-siv-s2v");
            byte[] ctr = derive(topic, kek, "record-key-siv-ctr");
            byte[] key = new byte[s2v.length + ctr.length];
            System.arraycopy(s2v, 0, key, 0, s2v.length);
            System.arraycopy(ctr, 0, key, s2v.length, ctr.length);
            try {
                return new AesSiv(key).bind(aad(topic, kek, VERSION));
            } finally {
                Arrays.fill(s2v, (byte) 0);
                Arrays.fill(ctr, (byte) 0);
                Arrays.fill(key, (byte) 0);
            }
        });
    }

    private byte[] derive(String topic, KekRef kek, String purpose) {
        Dek dek = calls.call(KmsOperation.DERIVE, topic, () -> kms.deriveKey(kek, purpose));
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
            throw tampered(topic, e);
        }
    }

    private static EnvelopeException tampered(String topic, Exception cause) {
        return new EnvelopeException(Reason.TAMPERED, topic,
                "the record key does not verify: it was altered, or encrypted for another topic", cause);
    }

    private static byte[] aad(String topic, KekRef kek, int formatVersion) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("ciphertrail record key v" + formatVersion).getBytes(StandardCharsets.US_ASCII));
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
        sivs.clear();
        current.clear();
    }
}
