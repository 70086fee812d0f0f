package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.CryptoListener.KmsOperation;
import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
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
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Verifies and decrypts records. Checks the cheap, specific things first and names them (wrong topic,
 * edited trace, edited protected header), then unwraps the data key (once per process, then cached)
 * and decrypts; a failed authentication tag is reported as tampering. Never returns unverified bytes.
 * Thread-safe.
 */
public final class EnvelopeDecryptor implements AutoCloseable {
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(EnvelopeEncryptor::newGcm);

    private final Kms kms;
    private final EnvelopeConfig config;
    private final DekCache cache;
    private final CryptoListener listener;
    private final KmsCalls calls;
    private final RecordKeyCipher recordKeys;
    private final ConcurrentHashMap<Edek, CompletableFuture<SecretKey>> unwrapping = new ConcurrentHashMap<>();
    // read once: the configuration is immutable and these are consulted for every record
    private final List<String> encryptedHeaders;
    private final boolean recordKeyEncryption;

    public EnvelopeDecryptor(Kms kms, EnvelopeConfig config, DekCache cache, CryptoListener listener, Clock clock) {
        this.kms = kms;
        this.config = config;
        this.cache = cache;
        this.listener = listener;
        this.calls = new KmsCalls(config.kmsTimeout(), listener);
        this.recordKeys = new RecordKeyCipher(kms, config, listener, clock, Runnable::run);
        this.encryptedHeaders = config.encryptedHeaders();
        this.recordKeyEncryption = config.recordKeyEncryption();
    }

    /**
     * Decrypts a record value read from {@code topic}, then the configured encrypted headers in place.
     * A null value stays null. A value without an envelope is rejected, or passed through when
     * {@code ciphertrail.envelope.unencrypted.records=PASSTHROUGH}.
     *
     * @throws EnvelopeException naming the topic and the reason; attach partition and offset with {@link EnvelopeException#at}
     */
    public byte[] decrypt(String topic, Headers headers, byte[] data) {
        try {
            byte[] plaintext = data == null ? null : open(topic, headers, data);
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
        try {
            return recordKeyEncryption ? recordKeys.decrypt(topic, key) : key;
        } catch (EnvelopeException e) {
            listener.recordFailed(topic, e.reason());
            throw e;
        }
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
            if (config.unencryptedRecords() == EnvelopeConfig.UnencryptedRecords.PASSTHROUGH) {
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
        verifyTrace(topic, headers, envelope);
        if (!envelope.protectedHeaders().isEmpty()
                && !MessageDigest.isEqual(envelope.headerDigest(), ProtectedHeaders.digest(envelope.protectedHeaders(), headers))) {
            throw new EnvelopeException(Reason.PROTECTED_HEADER_MISMATCH, topic, "protected headers " + envelope.protectedHeaders());
        }
        byte[] plaintext = decipher(topic, envelope);
        listener.recordDecrypted(topic, data.length);
        return plaintext;
    }

    private static void verifyTrace(String topic, Headers headers, Envelope envelope) {
        byte[] bound = envelope.traceIdBytes();
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
                opened.add(header.value() == null ? null : openHeader(topic, name, header.value()));
            }
            headers.remove(name);
            opened.forEach(value -> headers.add(name, value));
        }
    }

    private byte[] openHeader(String topic, String name, byte[] value) {
        if (!Envelope.hasMagic(value)) {
            if (config.unencryptedRecords() == EnvelopeConfig.UnencryptedRecords.PASSTHROUGH) {
                return value;
            }
            throw new EnvelopeException(Reason.NOT_ENCRYPTED, topic, "header '" + name + "' is not encrypted");
        }
        Envelope envelope = Envelope.parse(value, topic);
        if (!envelope.boundTopic().equals(topic)) {
            throw new EnvelopeException(Reason.WRONG_TOPIC, topic, "header '" + name + "' was encrypted for topic '" + envelope.boundTopic() + "'");
        }
        if (!envelope.headerName().map(name::equals).orElse(false)) {
            throw new EnvelopeException(Reason.TAMPERED, topic, "header '" + name + "' carries a value encrypted for "
                    + envelope.headerName().map(n -> "header '" + n + "'").orElse("a record value"));
        }
        return decipher(topic, envelope);
    }

    @Override
    public void close() {
        recordKeys.close();
    }
}
