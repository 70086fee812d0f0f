package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.trace.TraceContext;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.crypto.Cipher;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Encrypts records for a topic: AES-256-GCM under the topic's current data key, with the topic, the
 * KEK reference, the record's trace context and protected headers bound as associated data, in the envelope
 * version {@code ciphertrail.envelope.format.version} names (2 unless a rolling upgrade needs 1). Thread-safe;
 * one per process (or per client) is enough.
 *
 * <pre>{@code
 * byte[] envelope = encryptor.encrypt("orders", record.headers(), plaintext);
 * }</pre>
 */
public final class EnvelopeEncryptor implements AutoCloseable {
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(EnvelopeEncryptor::newGcm);
    private static final ThreadLocal<byte[]> TRACE = ThreadLocal.withInitial(() -> new byte[TraceContext.BINARY_LENGTH]);

    private final EnvelopeConfig config;
    private final CryptoListener listener;
    private final DataKeys dataKeys;
    private final RecordKeyCipher recordKeys;
    private final ExecutorService background;
    // read once: the configuration is immutable and these are consulted for every record
    private final List<String> encryptedHeaders;
    private final List<String> protectedHeaders;
    private final boolean recordKeyEncryption;
    private final int formatVersion;

    public EnvelopeEncryptor(Kms kms, EnvelopeConfig config, DekCache cache, CryptoListener listener, Clock clock) {
        this.config = config;
        this.listener = listener;
        this.background = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "ciphertrail-data-keys");
            thread.setDaemon(true);
            return thread;
        });
        this.dataKeys = new DataKeys(kms, config, cache, listener, clock, background);
        this.recordKeys = new RecordKeyCipher(kms, config, listener, clock, background);
        this.encryptedHeaders = config.encryptedHeaders();
        this.protectedHeaders = config.protectedHeaders();
        this.recordKeyEncryption = config.recordKeyEncryption();
        this.formatVersion = config.formatVersion();
    }

    /**
     * Encrypts a record value for {@code boundTopic} (the topic its readers will read it from, which may
     * differ from the topic it is first sent to when a gate forwards it). First encrypts the configured
     * named headers in place, then binds the trace from {@code traceparent} (version 2: the whole context, which
     * readers give back when the header is gone; version 1: the trace ID) and the protected headers.
     * A null value (a tombstone) stays null.
     */
    public byte[] encrypt(String boundTopic, Headers headers, byte[] plaintext) {
        if (!encryptedHeaders.isEmpty() && headers != null) {
            encryptHeaders(boundTopic, headers);
        }
        if (plaintext == null) {
            return null;
        }
        List<String> protectedNames = protectedHeaders;
        byte[] digest = protectedNames.isEmpty() ? null : ProtectedHeaders.digest(protectedNames, headers);
        byte[] envelope = seal(boundTopic, headers, protectedNames, digest, null, plaintext);
        listener.recordEncrypted(boundTopic, plaintext.length, envelope.length);
        return envelope;
    }

    /**
     * Starts getting the data key for {@code boundTopic} in the background if there is none yet, without
     * waiting: a sender calls it as early as it knows the topic, so a topic's first record does not wait for
     * the KMS after everything else it waits for.
     */
    public void prepare(String boundTopic) {
        dataKeys.prepare(boundTopic);
    }

    /**
     * Authenticates a delete: a record with a null value (a tombstone) sent to a topic encrypted for
     * {@code boundTopic}. Encrypts the configured named headers like {@link #encrypt} does, then puts a
     * {@link DeleteProof} in the {@value DeleteProof#HEADER} header (replacing one that is there) binding the
     * topic, {@code recordKey} as it will be written (encrypted, when record keys are) and the trace. The value
     * stays null, so log compaction works as before. Uses the topic's current data key: no KMS call in steady state.
     */
    public void encryptDelete(String boundTopic, Headers headers, byte[] recordKey) {
        if (!encryptedHeaders.isEmpty()) {
            encryptHeaders(boundTopic, headers);
        }
        DataKeys.Lease lease = dataKeys.lease(boundTopic);
        DataKeys.ActiveKey key = lease.key();
        byte[] keyDigest = DeleteProof.keyDigest(recordKey);
        try {
            byte[] proof = formatVersion == EnvelopeV1.VERSION
                    ? DeleteProofV1.seal(GCM.get(), key.key, key.keySection, TraceContext.traceIdBytes(headers), keyDigest, lease.ivV1())
                    : DeleteProofV2.seal(GCM.get(), key.key, key.keySection, key.topic, TraceContext.binary(headers), keyDigest,
                            lease.counter());
            headers.remove(DeleteProof.HEADER);
            headers.add(DeleteProof.HEADER, proof);
        } catch (GeneralSecurityException e) {
            throw new EnvelopeException(Reason.KEK_NOT_USABLE, boundTopic, "AES-GCM failed: " + e.getMessage(), e);
        }
    }

    /** Encrypts a record key deterministically when {@code ciphertrail.envelope.record.key.encryption} is on; otherwise returns it. */
    public byte[] encryptRecordKey(String boundTopic, byte[] key) {
        return recordKeyEncryption ? recordKeys.encrypt(boundTopic, key) : key;
    }

    private void encryptHeaders(String boundTopic, Headers headers) {
        for (String name : encryptedHeaders) {
            List<Header> originals = new ArrayList<>();
            headers.headers(name).forEach(originals::add);
            if (originals.isEmpty()) {
                continue;
            }
            headers.remove(name);
            for (Header header : originals) {
                headers.add(name, header.value() == null ? null
                        : seal(boundTopic, null, List.of(), null, name, header.value()));
            }
        }
    }

    /**
     * One envelope under the topic's current data key.
     *
     * @param traced the headers whose {@code traceparent} is bound, or null to bind none (header values)
     */
    private byte[] seal(String topic, Headers traced, List<String> protectedNames, byte[] digest, String headerName, byte[] plaintext) {
        DataKeys.Lease lease = dataKeys.lease(topic);
        DataKeys.ActiveKey key = lease.key();
        try {
            if (formatVersion == EnvelopeV1.VERSION) {
                return EnvelopeV1.seal(GCM.get(), key.key, key.keySection, TraceContext.traceIdBytes(traced), protectedNames, digest,
                        headerName, lease.ivV1(), plaintext);
            }
            return EnvelopeV2.seal(GCM.get(), key.key, key.keySection, key.topic, trace(traced), protectedNames, digest,
                    headerName, lease.counter(), plaintext);
        } catch (GeneralSecurityException e) {
            throw new EnvelopeException(Reason.KEK_NOT_USABLE, topic, "AES-GCM encryption failed: " + e.getMessage(), e);
        }
    }

    /** The binary trace context of {@code headers}' {@code traceparent}, in a buffer of this thread; null without one. */
    private static byte[] trace(Headers headers) {
        Header header = headers == null ? null : headers.lastHeader(TraceContext.HEADER);
        byte[] trace = TRACE.get();
        return header != null && TraceContext.parseInto(header.value(), trace, 0) ? trace : null;
    }

    static Cipher newGcm() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("This JVM has no AES/GCM/NoPadding cipher", e);
        }
    }

    @Override
    public void close() {
        background.shutdownNow();
        dataKeys.close();
        recordKeys.close();
    }
}
