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
import java.util.function.Supplier;
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
 * <p>Version 2 (written by default): AES-256-SIV (RFC 5297, {@link AesSiv}), layout
 * {@code 0xC7 0x4B, 0x02, u32 KEK version, synthetic IV (16), ciphertext}. Version 1 (read forever, written while
 * {@code ciphertrail.envelope.record.key.format.version=1}): AES-256-GCM-SIV (RFC 8452) with a zero nonce,
 * {@code 0xC7 0x4B, 0x01, u32 KEK version, ciphertext || tag}.
 * Both bind the topic and the KEK alias and version as associated data. The keys come from the topic's
 * own record-key KEK ({@code ciphertrail.envelope.record.key.kek.alias.template}), derived in the KMS.
 * Specification and test vectors: {@code docs/wire-format.md}.
 *
 * <p>Derived keys are checked against the KMS again every {@code kek.refresh.ms}, on the background executor
 * while the current key stays in use (no KMS call on the send or poll path in steady state). When the check finds
 * the KEK destroyed (shredded) or gone, its derived keys are dropped and further records fail with that reason;
 * asking again costs one KMS call per second at most, not one per record.
 */
final class RecordKeyCipher {
    static final byte MAGIC_0 = (byte) 0xC7;
    static final byte MAGIC_1 = 0x4B;
    static final int VERSION = 2;
    /** KMS purposes of the derived keys: version 2's S2V and CTR keys, version 1's GCM-SIV key. */
    private static final String[] PURPOSES_V2 = {"record-key-siv-s2v", "record-key-siv-ctr"};
    private static final String[] PURPOSES_V1 = {"record-key"};
    private static final int HEADER_LENGTH = 7;
    private static final byte[] NONCE = new byte[12];
    private static final long RETRY_BACKOFF_MILLIS = 1_000;

    /** A derived key and when the KMS last confirmed its KEK. */
    private record Derived(KekRef kek, byte[] key, long checkedAt) {
    }

    /** A version 1 key's place in the maps, apart from version 2's of the same KEK version. */
    private record Legacy(KekRef kek) {
    }

    /** What an AES-SIV key is bound to: its topic and the KEK version it is derived from. */
    private record Binding(String topic, KekRef kek) {
    }

    /** Why the KMS last refused a KEK, repeated to callers until {@code retryAfter}. */
    private record Failure(EnvelopeException cause, long retryAfter) {
    }

    private final Kms kms;
    private final EnvelopeConfig config;
    private final Clock clock;
    private final Executor background;
    private final KmsCalls calls;
    private final long refreshMillis;
    /** The format written: 2, or 1 until every reader and producer of a topic can move together. */
    private final int writeVersion;
    /** The newest version's key per topic, for encrypting. */
    private final ConcurrentHashMap<String, Derived> current = new ConcurrentHashMap<>();
    /** Keys by KEK version, for decrypting: version 2's by {@link KekRef}, version 1's by {@link Legacy}. */
    private final ConcurrentHashMap<Object, Derived> derived = new ConcurrentHashMap<>();
    /** Version 2's AES-SIV, keyed and bound to its associated data, ready for use. */
    private final ConcurrentHashMap<Binding, AesSiv.Bound> sivs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Object, AtomicBoolean> checking = new ConcurrentHashMap<>();
    /** By topic (encrypting) or KEK version (decrypting). */
    private final ConcurrentHashMap<Object, Failure> failures = new ConcurrentHashMap<>();

    RecordKeyCipher(Kms kms, EnvelopeConfig config, CryptoListener listener, Clock clock, Executor background) {
        this.kms = kms;
        this.config = config;
        this.clock = clock;
        this.background = background;
        this.calls = new KmsCalls(config.kmsTimeout(), listener);
        this.refreshMillis = config.kekRefresh().toMillis();
        this.writeVersion = config.recordKeyFormatVersion();
    }

    byte[] encrypt(String topic, byte[] key) {
        if (key == null) {
            return null;
        }
        Derived resolved = current.get(topic);
        if (resolved == null) {
            resolved = current.computeIfAbsent(topic, t -> remembering(t, () -> resolve(t)));
        } else if (clock.millis() - resolved.checkedAt() >= refreshMillis) {
            checkLater(topic, () -> current.put(topic, resolve(topic)));
        }
        int version = resolved.kek().version();
        if (writeVersion == 1) {
            byte[] sealed = process(true, resolved.key(), aad(topic, resolved.kek(), 1), key, topic);
            return ByteBuffer.allocate(HEADER_LENGTH + sealed.length).put(MAGIC_0).put(MAGIC_1).put((byte) 1).putInt(version)
                    .put(sealed).array();
        }
        byte[] sealed = new byte[HEADER_LENGTH + AesSiv.BLOCK + key.length];
        sealed[0] = MAGIC_0;
        sealed[1] = MAGIC_1;
        sealed[2] = VERSION;
        sealed[3] = (byte) (version >>> 24);
        sealed[4] = (byte) (version >>> 16);
        sealed[5] = (byte) (version >>> 8);
        sealed[6] = (byte) version;
        siv(topic, resolved).encryptInto(key, sealed, HEADER_LENGTH);
        return sealed;
    }

    /** AES-SIV under {@code key} (version 2 material) bound to {@code topic}; built once per topic and KEK version. */
    private AesSiv.Bound siv(String topic, Derived key) {
        Binding binding = new Binding(topic, key.kek());
        AesSiv.Bound siv = sivs.get(binding);
        return siv != null ? siv : sivs.computeIfAbsent(binding, b -> new AesSiv(key.key()).bind(aad(topic, key.kek(), VERSION)));
    }

    /** True when {@code data} starts like an encrypted record key. */
    static boolean hasMagic(byte[] data) {
        return data.length >= 2 && data[0] == MAGIC_0 && data[1] == MAGIC_1;
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
        String[] purposes = data[2] == 1 ? PURPOSES_V1 : PURPOSES_V2;
        Object slot = data[2] == 1 ? new Legacy(kek) : kek;
        Derived key = derived.get(slot);
        if (key == null) {
            key = derived.computeIfAbsent(slot, k -> remembering(k, () -> derive(topic, kek, purposes)));
        } else if (clock.millis() - key.checkedAt() >= refreshMillis) {
            checkLater(slot, () -> derived.put(slot, derive(topic, kek, purposes)));
        }
        if (data[2] == 1) {
            return process(false, key.key(), aad(topic, kek, 1), Arrays.copyOfRange(data, HEADER_LENGTH, data.length), topic);
        }
        try {
            return siv(topic, key).decrypt(data, HEADER_LENGTH, data.length - HEADER_LENGTH);
        } catch (javax.crypto.AEADBadTagException e) {
            throw tampered(topic, e);
        }
    }

    private Derived resolve(String topic) {
        String alias = config.recordKeyKekAlias(topic);
        KekRef kek = calls.call(KmsOperation.RESOLVE, topic, () -> kms.resolveAlias(alias));
        Object slot = writeVersion == 1 ? new Legacy(kek) : kek;
        Derived known = derived.get(slot);
        if (known != null && clock.millis() - known.checkedAt() < refreshMillis) {
            return new Derived(kek, known.key(), clock.millis());
        }
        Derived fresh = derive(topic, kek, writeVersion == 1 ? PURPOSES_V1 : PURPOSES_V2);
        derived.put(slot, fresh);
        return fresh;
    }

    /** The keys the KMS derives from {@code kek} for {@code purposes}, one after the other in one array. */
    private Derived derive(String topic, KekRef kek, String[] purposes) {
        ByteArrayOutputStream material = new ByteArrayOutputStream(32 * purposes.length);
        for (String purpose : purposes) {
            Dek dek = calls.call(KmsOperation.DERIVE, topic, () -> kms.deriveKey(kek, purpose));
            byte[] bytes = dek.copyMaterial();
            try {
                material.writeBytes(bytes);
            } finally {
                Arrays.fill(bytes, (byte) 0);
                dek.destroy();
            }
        }
        return new Derived(kek, material.toByteArray(), clock.millis());
    }

    /**
     * Runs a first KMS call for {@code what} on the caller's thread, unless the KMS refused it within the last
     * second: then that answer is repeated instead of asking again for every record.
     */
    private Derived remembering(Object what, Supplier<Derived> call) {
        Failure failure = failures.get(what);
        if (failure != null && clock.millis() < failure.retryAfter()) {
            throw failure.cause();
        }
        try {
            Derived result = call.get();
            failures.remove(what);
            return result;
        } catch (EnvelopeException e) {
            failures.put(what, new Failure(e, clock.millis() + RETRY_BACKOFF_MILLIS));
            throw e;
        }
    }

    /**
     * Checks {@code what} with the KMS again on the background executor, once at a time. If its KEK was
     * destroyed or is gone, every key derived from that alias is dropped, so the next record meets the
     * failure; any other failure keeps the current key until the next check.
     */
    private void checkLater(Object what, Runnable check) {
        AtomicBoolean flag = checking.computeIfAbsent(what, w -> new AtomicBoolean());
        if (!flag.compareAndSet(false, true)) {
            return;
        }
        background.execute(() -> {
            try {
                check.run();
            } catch (EnvelopeException e) {
                if (e.reason() == Reason.KEK_DESTROYED || e.reason() == Reason.UNKNOWN_KEK) {
                    String alias = what instanceof KekRef kek ? kek.alias()
                            : what instanceof Legacy legacy ? legacy.kek().alias() : config.recordKeyKekAlias((String) what);
                    forget(alias);
                    failures.put(what, new Failure(e, clock.millis() + RETRY_BACKOFF_MILLIS));
                }
            } finally {
                flag.set(false);
            }
        });
    }

    /**
     * Drops every key derived from {@code alias}. The bytes are not zeroed here: a thread may be encrypting
     * with them this moment, and zeroes would make it write under an all-zero key; they go with the last reference.
     */
    private void forget(String alias) {
        current.values().removeIf(d -> d.kek().alias().equals(alias));
        derived.values().removeIf(d -> d.kek().alias().equals(alias));
        sivs.keySet().removeIf(binding -> binding.kek().alias().equals(alias));
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
        derived.values().forEach(key -> Arrays.fill(key.key(), (byte) 0));
        current.values().forEach(key -> Arrays.fill(key.key(), (byte) 0));
        derived.clear();
        sivs.clear();
        current.clear();
    }
}
