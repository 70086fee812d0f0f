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
 * Deterministic encryption of record keys with AES-256-GCM-SIV (RFC 8452) and a fixed nonce: the
 * same key on the same topic always gives the same ciphertext, in every producer, so the default
 * partitioner and log compaction keep working. The price is that equal keys are visible as equal.
 *
 * <p>The key comes from the topic's own record-key KEK ({@code ciphertrail.envelope.record.key.kek.alias.template}),
 * derived in the KMS for the topic. Layout: {@code 0xC7 0x4B, version 0x01, u32 KEK version, ciphertext || tag}.
 * Associated data binds the topic and the KEK alias and version.
 *
 * <p>Derived keys are checked against the KMS again every {@code kek.refresh.ms}, on the background executor
 * while the current key stays in use (no KMS call on the send or poll path in steady state). When the check finds
 * the KEK destroyed (shredded) or gone, its derived keys are dropped and further records fail with that reason;
 * asking again costs one KMS call per second at most, not one per record.
 */
final class RecordKeyCipher {
    static final byte MAGIC_0 = (byte) 0xC7;
    static final byte MAGIC_1 = 0x4B;
    private static final int HEADER_LENGTH = 7;
    private static final byte[] NONCE = new byte[12];
    private static final long RETRY_BACKOFF_MILLIS = 1_000;

    /** A derived key and when the KMS last confirmed its KEK. */
    private record Derived(KekRef kek, byte[] key, long checkedAt) {
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
    /** The newest version's key per topic, for encrypting. */
    private final ConcurrentHashMap<String, Derived> current = new ConcurrentHashMap<>();
    /** Keys by KEK version, for decrypting. */
    private final ConcurrentHashMap<KekRef, Derived> derived = new ConcurrentHashMap<>();
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
        byte[] sealed = process(true, resolved.key(), aad(topic, resolved.kek()), key, topic);
        return ByteBuffer.allocate(HEADER_LENGTH + sealed.length)
                .put(MAGIC_0).put(MAGIC_1).put((byte) 1).putInt(version).put(sealed).array();
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
        if (data[2] != 1) {
            throw new EnvelopeException(Reason.UNSUPPORTED_VERSION, topic, "record key format version " + data[2]);
        }
        long version = ByteBuffer.wrap(data, 3, 4).getInt() & 0xFFFFFFFFL;
        if (version < 1 || version > Integer.MAX_VALUE) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "record key KEK version " + version + " is out of range");
        }
        KekRef kek = new KekRef(config.recordKeyKekAlias(topic), (int) version);
        Derived key = derived.get(kek);
        if (key == null) {
            key = derived.computeIfAbsent(kek, k -> remembering(k, () -> derive(topic, k)));
        } else if (clock.millis() - key.checkedAt() >= refreshMillis) {
            checkLater(kek, () -> derived.put(kek, derive(topic, kek)));
        }
        return process(false, key.key(), aad(topic, kek), Arrays.copyOfRange(data, HEADER_LENGTH, data.length), topic);
    }

    private Derived resolve(String topic) {
        String alias = config.recordKeyKekAlias(topic);
        KekRef kek = calls.call(KmsOperation.RESOLVE, topic, () -> kms.resolveAlias(alias));
        Derived known = derived.get(kek);
        if (known != null && clock.millis() - known.checkedAt() < refreshMillis) {
            return new Derived(kek, known.key(), clock.millis());
        }
        Derived fresh = derive(topic, kek);
        derived.put(kek, fresh);
        return fresh;
    }

    private Derived derive(String topic, KekRef kek) {
        Dek dek = calls.call(KmsOperation.DERIVE, topic, () -> kms.deriveKey(kek, "record-key"));
        try {
            return new Derived(kek, dek.copyMaterial(), clock.millis());
        } finally {
            dek.destroy();
        }
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
                    String alias = what instanceof KekRef kek ? kek.alias() : config.recordKeyKekAlias((String) what);
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
        derived.keySet().removeIf(kek -> kek.alias().equals(alias));
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
        derived.values().forEach(key -> Arrays.fill(key.key(), (byte) 0));
        current.values().forEach(key -> Arrays.fill(key.key(), (byte) 0));
        derived.clear();
        current.clear();
    }
}
