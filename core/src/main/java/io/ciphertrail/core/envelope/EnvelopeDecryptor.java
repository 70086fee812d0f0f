package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.CryptoListener.KmsOperation;
import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
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
 * Verifies and decrypts records of every envelope version. Checks the cheap, specific things first and names them
 * (wrong topic, a KEK other than the topic's, edited trace, edited protected header), then unwraps the data key (once
 * per process, then cached) and decrypts; a failed authentication tag is reported as tampering. Deletes
 * (null values) are checked against their {@link DeleteProof}. A verified record without a {@code traceparent}
 * header gets it back from the trace its envelope (or proof) binds, so applications and OpenTelemetry see it. Never
 * returns unverified bytes, except where a migration setting allows it, and then it marks them
 * ({@link #PASSTHROUGH_HEADER}). Thread-safe.
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
    /** A record's {@code traceparent}, parsed for comparison without allocating on the per-record path. */
    private static final ThreadLocal<byte[]> HEADER_TRACE = ThreadLocal.withInitial(() -> new byte[TraceContext.BINARY_LENGTH]);

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

    /**
     * The trace ID of a record as read, without a key: its {@code traceparent} header, or else the trace bound in its
     * envelope (a value) or its delete proof (a null value).
     */
    public static Optional<String> traceId(Headers headers, byte[] value) {
        Optional<TraceContext> header = TraceContext.fromHeaders(headers);
        if (header.isPresent()) {
            return header.map(TraceContext::traceId);
        }
        return binding(headers, value).flatMap(RecordBinding::boundTraceId);
    }

    /**
     * What a record's envelope (a value) or delete proof (a null value) binds, read without a key; empty when it has
     * neither or they cannot be read.
     */
    public static Optional<RecordBinding> binding(Headers headers, byte[] value) {
        try {
            if (value != null) {
                return Envelope.hasMagic(value) ? Optional.of(Envelope.parse(value, "").binding()) : Optional.empty();
            }
            Header proof = headers == null ? null : headers.lastHeader(DeleteProof.HEADER);
            return proof == null || proof.value() == null ? Optional.empty() : Optional.of(DeleteProof.parse(proof.value(), "").binding());
        } catch (EnvelopeException e) {
            return Optional.empty();
        }
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
        if (envelope.isHeaderValue()) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "an encrypted header value was found in the record value");
        }
        TopicBinding expected = kekAliases.binding(topic);
        RecordBinding binding = envelope.binding();
        requireBinding(expected, binding, "the record", "encrypted");
        verifyTrace(topic, headers, binding);
        if (!envelope.protectedHeaders().isEmpty()
                && !envelope.protectedDigestIs(ProtectedHeaders.digest(envelope.protectedHeaders(), headers))) {
            throw new EnvelopeException(Reason.PROTECTED_HEADER_MISMATCH, topic, "protected headers " + envelope.protectedHeaders());
        }
        byte[] plaintext = decipher(expected, envelope, null);
        restoreTrace(headers, binding);
        listener.recordDecrypted(topic, data.length);
        return plaintext;
    }

    /**
     * Refuses what was made for another topic ({@code WRONG_TOPIC}) or is wrapped under a KEK other than the one the
     * alias template (or mapping) names for the topic ({@code WRONG_KEK}).
     *
     * @param what what is checked, for messages ("the record")
     * @param made how it was made, for messages ("encrypted", "the delete was authenticated")
     */
    private static void requireBinding(TopicBinding expected, RecordBinding binding, String what, String made) {
        String topic = expected.topic();
        if (!binding.boundTo(expected)) {
            throw new EnvelopeException(Reason.WRONG_TOPIC, topic, made + " for " + binding.boundTopicDescription());
        }
        if (!binding.wrappedUnder(expected)) {
            throw new EnvelopeException(Reason.WRONG_KEK, topic, what + " is wrapped under " + binding.kekDescription()
                    + ", but topic '" + topic + "' expects '" + expected.kekAlias() + "'");
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
        TopicBinding expected = kekAliases.binding(topic);
        RecordBinding binding = proof.binding();
        requireBinding(expected, binding, "the delete's proof", "the delete was authenticated");
        if (!proof.boundTo(recordKey)) {
            throw new EnvelopeException(Reason.UNAUTHENTICATED_DELETE, topic,
                    "its proof was made for another record key: it was copied onto this delete");
        }
        verifyTrace(topic, headers, binding);
        SecretKey key = dataKey(expected, binding);
        try {
            proof.verify(GCM.get(), key, expected);
        } catch (AEADBadTagException e) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "the delete proof does not verify", e);
        } catch (GeneralSecurityException e) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "the delete proof cannot be checked: " + e.getMessage(), e);
        }
        restoreTrace(headers, binding);
    }

    /** Marks a part handed over unverified, and counts it. */
    private void passedThrough(String topic, Headers headers, String part, Reason reason) {
        if (headers != null) {
            headers.add(PASSTHROUGH_HEADER, part.getBytes(StandardCharsets.UTF_8));
        }
        listener.recordPassedThrough(topic, reason);
    }

    private static void verifyTrace(String topic, Headers headers, RecordBinding bound) {
        Header header = headers == null ? null : headers.lastHeader(TraceContext.HEADER);
        if (header == null || !bound.traced()) {
            // Nothing bound (a downstream hop may add a trace), or no header: the bound trace identifies the record.
            return;
        }
        byte[] fromHeader = HEADER_TRACE.get();
        if (!TraceContext.parseInto(header.value(), fromHeader, 0)) {
            throw new EnvelopeException(Reason.TRACE_MISMATCH, topic, "the traceparent header is malformed; bound trace "
                    + bound.boundTraceId().orElseThrow());
        }
        if (!bound.traceIdIs(fromHeader)) {
            throw new EnvelopeException(Reason.TRACE_MISMATCH, topic, "header trace "
                    + TraceContext.traceIdHex(java.util.Arrays.copyOf(fromHeader, 16)) + ", bound trace " + bound.boundTraceId().orElseThrow());
        }
    }

    /** Gives a verified record without a {@code traceparent} header the trace it was written with. */
    private static void restoreTrace(Headers headers, RecordBinding bound) {
        if (headers != null && bound.traced() && headers.lastHeader(TraceContext.HEADER) == null) {
            headers.add(TraceContext.HEADER, bound.restoredTraceHeader());
        }
    }

    private byte[] decipher(TopicBinding expected, Envelope envelope, String headerName) {
        String topic = expected.topic();
        SecretKey key = dataKey(expected, envelope.binding());
        try {
            return envelope.open(GCM.get(), key, expected, headerName);
        } catch (AEADBadTagException e) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "the authentication tag does not verify", e);
        } catch (GeneralSecurityException e) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "decryption failed: " + e.getMessage(), e);
        }
    }

    /** The unwrapped data key of a record's binding: from the cache, else from the KMS (once for concurrent first uses). */
    private SecretKey dataKey(TopicBinding expected, RecordBinding binding) {
        SecretKey cached = binding.cachedKey(cache, expected);
        return cached != null ? cached : dataKey(expected.topic(), binding.edek(expected));
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
        TopicBinding expected = kekAliases.binding(topic);
        requireBinding(expected, envelope.binding(), "header '" + name + "'", "header '" + name + "' was encrypted");
        if (!envelope.isHeaderValue()) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "header '" + name + "' carries a value encrypted for a record value");
        }
        if (envelope instanceof EnvelopeV1 v1 && !v1.headerName().orElseThrow().equals(name)) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "header '" + name + "' carries a value encrypted for header '"
                    + v1.headerName().get() + "'");
        }
        // Version 2 binds the name through the associated data: a value moved to another header fails its tag.
        return decipher(expected, envelope, name);
    }

    @Override
    public void close() {
        if (background != null) {
            background.shutdownNow();
        }
        recordKeys.close();
    }
}
