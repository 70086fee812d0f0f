package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.CryptoListener.KmsOperation;
import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Verifies and decrypts records. Checks the cheap, specific things first and names them (wrong topic,
 * a KEK other than the topic's, edited trace, edited protected header), then unwraps the data key (once
 * per process, then cached) and decrypts; a failed authentication tag is reported as tampering. Deletes
 * (null values) are checked against their {@link DeleteProof}. Never returns unverified bytes, except where
 * a migration setting allows it, and then it marks them ({@link #PASSTHROUGH_HEADER}). Thread-safe.
 */
public final class EnvelopeDecryptor implements AutoCloseable {
    /**
     * Added to a record a part of which was handed over without verification, under
     * {@code ciphertrail.envelope.unencrypted.records=PASSTHROUGH} or {@code ciphertrail.envelope.plain.deletes.topics}.
     * One header per part, valued {@code value}, {@code key}, {@code header:<name>} or {@code delete}; a record
     * without it was verified in full. Only its presence counts: a writer can add one, never remove the reader's.
     */
    public static final String PASSTHROUGH_HEADER = "ciphertrail.passthrough";
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(EnvelopeEncryptor::newGcm);

    private final Kms kms;
    private final EnvelopeConfig config;
    private final DekCache cache;
    private final CryptoListener listener;
    private final KmsCalls calls;
    private final RecordKeyCipher recordKeys;
    /** Re-checks record-key KEKs off the poll path; only when record keys are encrypted. */
    private final ExecutorService background;
    private final ConcurrentHashMap<Edek, CompletableFuture<SecretKey>> unwrapping = new ConcurrentHashMap<>();
    // read once: the configuration is immutable and these are consulted for every record
    private final List<String> encryptedHeaders;
    private final boolean recordKeyEncryption;
    private final boolean passthrough;
    private final KekAliases kekAliases;

    public EnvelopeDecryptor(Kms kms, EnvelopeConfig config, DekCache cache, CryptoListener listener, Clock clock) {
        this.kms = kms;
        this.config = config;
        this.cache = cache;
        this.listener = listener;
        this.calls = new KmsCalls(config.kmsTimeout(), listener);
        this.background = config.recordKeyEncryption() ? Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "ciphertrail-record-keys");
            thread.setDaemon(true);
            return thread;
        }) : null;
        this.recordKeys = new RecordKeyCipher(kms, config, listener, clock, background != null ? background : Runnable::run);
        this.encryptedHeaders = config.encryptedHeaders();
        this.recordKeyEncryption = config.recordKeyEncryption();
        this.passthrough = config.unencryptedRecords() == EnvelopeConfig.UnencryptedRecords.PASSTHROUGH;
        this.kekAliases = config.kekAliases();
    }

    /**
     * Decrypts a record value read from {@code topic}, then the configured encrypted headers in place.
     * A value without an envelope is rejected, or passed through (and marked) when
     * {@code ciphertrail.envelope.unencrypted.records=PASSTHROUGH}. A null value is a delete, whose proof binds
     * the record key: give the key with {@link #decrypt(String, Headers, byte[], byte[])}; here a delete passes
     * only on a topic that accepts plain deletes.
     *
     * @throws EnvelopeException naming the topic and the reason; attach partition and offset with {@link EnvelopeException#at}
     */
    public byte[] decrypt(String topic, Headers headers, byte[] data) {
        return decrypt(topic, headers, data, false, null);
    }

    /**
     * Like {@link #decrypt(String, Headers, byte[])}, for a record whose key is known: a null value (a delete)
     * returns null when its {@link DeleteProof} is valid for {@code topic} and {@code recordKey}.
     *
     * @param recordKey the record key as read (still encrypted, when record keys are), or null for none
     */
    public byte[] decrypt(String topic, Headers headers, byte[] recordKey, byte[] data) {
        return decrypt(topic, headers, data, true, recordKey);
    }

    private byte[] decrypt(String topic, Headers headers, byte[] data, boolean keyKnown, byte[] recordKey) {
        try {
            byte[] plaintext;
            if (data == null) {
                verifyDelete(topic, headers, keyKnown, recordKey);
                plaintext = null;
            } else {
                plaintext = open(topic, headers, data);
            }
            if (!encryptedHeaders.isEmpty() && headers != null) {
                decryptHeaders(topic, headers);
            }
            return plaintext;
        } catch (EnvelopeException e) {
            listener.recordFailed(topic, e.reason());
            throw e;
        }
    }

    /** Decrypts a record key encrypted by {@link EnvelopeEncryptor#encryptRecordKey}; passes it through when key encryption is off. */
    public byte[] decryptRecordKey(String topic, byte[] key) {
        return decryptRecordKey(topic, null, key);
    }

    /** Like {@link #decryptRecordKey(String, byte[])}, marking the record's {@code headers} when an unencrypted key passes through. */
    public byte[] decryptRecordKey(String topic, Headers headers, byte[] key) {
        if (!recordKeyEncryption) {
            return key;
        }
        try {
            if (passthrough && key != null && !RecordKeyCipher.hasMagic(key)) {
                passedThrough(topic, headers, "key", Reason.NOT_ENCRYPTED);
                return key;
            }
            return recordKeys.decrypt(topic, key);
        } catch (EnvelopeException e) {
            listener.recordFailed(topic, e.reason());
            throw e;
        }
    }

    /** True when decrypting may change a record's headers, so a caller that must keep the raw record intact decrypts a copy. */
    public boolean changesHeaders() {
        return !encryptedHeaders.isEmpty() || passthrough || config.acceptsSomePlainDeletes();
    }

    /**
     * The trace ID of a record: from its {@code traceparent} header, or else from the trace bound in its
     * envelope. Needs no key.
     */
    public static Optional<String> traceId(Headers headers, byte[] data) {
        Optional<TraceContext> header = TraceContext.fromHeaders(headers);
        if (header.isPresent()) {
            return header.map(TraceContext::traceId);
        }
        if (Envelope.hasMagic(data)) {
            try {
                return Envelope.parse(data, "").boundTraceId();
            } catch (EnvelopeException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private byte[] open(String topic, Headers headers, byte[] data) {
        if (!Envelope.hasMagic(data)) {
            if (passthrough) {
                passedThrough(topic, headers, "value", Reason.NOT_ENCRYPTED);
                return data;
            }
            throw new EnvelopeException(Reason.NOT_ENCRYPTED, topic, null);
        }
        Envelope envelope = Envelope.parse(data, topic);
        if (envelope.headerName().isPresent()) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "an encrypted header value was found in the record value");
        }
        if (!envelope.boundTopic().equals(topic)) {
            throw new EnvelopeException(Reason.WRONG_TOPIC, topic, "encrypted for topic '" + envelope.boundTopic() + "'");
        }
        requireTopicKek(topic, envelope.kek(), "the record");
        verifyTrace(topic, headers, envelope.traceIdBytes());
        if (!envelope.protectedHeaders().isEmpty()
                && !MessageDigest.isEqual(envelope.headerDigest(), ProtectedHeaders.digest(envelope.protectedHeaders(), headers))) {
            throw new EnvelopeException(Reason.PROTECTED_HEADER_MISMATCH, topic, "protected headers " + envelope.protectedHeaders());
        }
        byte[] plaintext = decipher(topic, envelope);
        listener.recordDecrypted(topic, data.length);
        return plaintext;
    }

    /** Refuses what is wrapped under a KEK other than the one {@code topic}'s alias template (or mapping) names. */
    private void requireTopicKek(String topic, KekRef kek, String what) {
        String expected = kekAliases.valueAlias(topic);
        if (!kek.alias().equals(expected)) {
            throw new EnvelopeException(Reason.WRONG_KEK, topic, what + " is wrapped under KEK alias '" + kek.alias()
                    + "', but topic '" + topic + "' expects '" + expected + "'");
        }
    }

    /**
     * A delete passes when its proof is for this topic, under the topic's KEK, for this record key and trace,
     * and its tag verifies; or, without a proof, on a topic that accepts plain deletes.
     */
    private void verifyDelete(String topic, Headers headers, boolean keyKnown, byte[] recordKey) {
        Header header = headers == null ? null : headers.lastHeader(DeleteProof.HEADER);
        if (header == null || header.value() == null || !keyKnown) {
            if (config.acceptsPlainDeletes(topic)) {
                passedThrough(topic, headers, "delete", Reason.UNAUTHENTICATED_DELETE);
                return;
            }
            throw new EnvelopeException(Reason.UNAUTHENTICATED_DELETE, topic, header == null || header.value() == null
                    ? "the delete has no " + DeleteProof.HEADER + " header"
                    : "its proof binds the record key, which this deserializer was not given: use SecureDeserializer as the"
                            + " key deserializer too (it leaves unencrypted keys as they are)");
        }
        DeleteProof proof = DeleteProof.parse(header.value(), topic);
        if (!proof.boundTopic().equals(topic)) {
            throw new EnvelopeException(Reason.WRONG_TOPIC, topic, "the delete was authenticated for topic '" + proof.boundTopic() + "'");
        }
        requireTopicKek(topic, proof.kek(), "the delete's proof");
        if (!proof.boundTo(recordKey)) {
            throw new EnvelopeException(Reason.UNAUTHENTICATED_DELETE, topic,
                    "its proof was made for another record key: it was copied onto this delete");
        }
        verifyTrace(topic, headers, proof.traceIdBytes());
        SecretKey key = dataKey(topic, proof.edek());
        try {
            proof.verify(GCM.get(), key);
        } catch (AEADBadTagException e) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "the delete proof does not verify", e);
        } catch (GeneralSecurityException e) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "the delete proof cannot be checked: " + e.getMessage(), e);
        }
    }

    /** Marks a part handed over unverified, and counts it. */
    private void passedThrough(String topic, Headers headers, String part, Reason reason) {
        if (headers != null) {
            headers.add(PASSTHROUGH_HEADER, part.getBytes(StandardCharsets.UTF_8));
        }
        listener.recordPassedThrough(topic, reason);
    }

    private static void verifyTrace(String topic, Headers headers, byte[] bound) {
        Header header = headers == null ? null : headers.lastHeader(TraceContext.HEADER);
        if (bound == null || header == null) {
            // Nothing bound (a downstream hop may add a trace), or the header was dropped: the bound trace still identifies the record.
            return;
        }
        byte[] fromHeader = TraceContext.traceIdBytes(header.value());
        if (fromHeader == null) {
            throw new EnvelopeException(Reason.TRACE_MISMATCH, topic, "the traceparent header is malformed; bound trace "
                    + TraceContext.traceIdHex(bound));
        }
        if (!Arrays.equals(fromHeader, bound)) {
            throw new EnvelopeException(Reason.TRACE_MISMATCH, topic, "header trace " + TraceContext.traceIdHex(fromHeader)
                    + ", bound trace " + TraceContext.traceIdHex(bound));
        }
    }

    private byte[] decipher(String topic, Envelope envelope) {
        SecretKey key = dataKey(topic, envelope.edek());
        byte[] data = envelope.data();
        try {
            Cipher cipher = GCM.get();
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(Envelope.TAG_LENGTH * 8, data, envelope.ivOffset(), Envelope.IV_LENGTH));
            cipher.updateAAD(data, 0, envelope.ciphertextOffset());
            return cipher.doFinal(data, envelope.ciphertextOffset(), data.length - envelope.ciphertextOffset());
        } catch (AEADBadTagException e) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "the authentication tag does not verify", e);
        } catch (GeneralSecurityException e) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "decryption failed: " + e.getMessage(), e);
        }
    }

    /** The unwrapped data key; concurrent first uses of one key share a single unwrap. */
    private SecretKey dataKey(String topic, Edek edek) {
        SecretKey cached = cache.key(edek);
        if (cached != null) {
            return cached;
        }
        CompletableFuture<SecretKey> mine = new CompletableFuture<>();
        CompletableFuture<SecretKey> shared = unwrapping.putIfAbsent(edek, mine);
        if (shared != null) {
            try {
                return shared.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw KmsCalls.failure(topic, e.getCause());
            }
        }
        try {
            SecretKey key = cache.key(edek);
            if (key == null) {
                Dek dek = calls.call(KmsOperation.UNWRAP, topic, () -> kms.unwrap(edek));
                try {
                    cache.put(edek, dek);
                    key = dek.secretKey();
                } finally {
                    dek.destroy();
                }
            }
            mine.complete(key);
            return key;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            unwrapping.remove(edek, mine);
        }
    }

    private void decryptHeaders(String topic, Headers headers) {
        for (String name : encryptedHeaders) {
            List<Header> sealed = new ArrayList<>();
            headers.headers(name).forEach(sealed::add);
            if (sealed.isEmpty()) {
                continue;
            }
            List<byte[]> opened = new ArrayList<>();
            for (Header header : sealed) {
                opened.add(header.value() == null ? null : openHeader(topic, headers, name, header.value()));
            }
            headers.remove(name);
            opened.forEach(value -> headers.add(name, value));
        }
    }

    private byte[] openHeader(String topic, Headers headers, String name, byte[] value) {
        if (!Envelope.hasMagic(value)) {
            if (passthrough) {
                passedThrough(topic, headers, "header:" + name, Reason.NOT_ENCRYPTED);
                return value;
            }
            throw new EnvelopeException(Reason.NOT_ENCRYPTED, topic, "header '" + name + "' is not encrypted");
        }
        Envelope envelope = Envelope.parse(value, topic);
        if (!envelope.boundTopic().equals(topic)) {
            throw new EnvelopeException(Reason.WRONG_TOPIC, topic, "header '" + name + "' was encrypted for topic '" + envelope.boundTopic() + "'");
        }
        requireTopicKek(topic, envelope.kek(), "header '" + name + "'");
        if (!envelope.headerName().map(name::equals).orElse(false)) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "header '" + name + "' carries a value encrypted for "
                    + envelope.headerName().map(n -> "header '" + n + "'").orElse("a record value"));
        }
        return decipher(topic, envelope);
    }

    @Override
    public void close() {
        if (background != null) {
            background.shutdownNow();
        }
        recordKeys.close();
    }
}
