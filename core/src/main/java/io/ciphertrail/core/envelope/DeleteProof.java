package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.trace.TraceContext;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/**
 * The proof that authenticates a delete: a record whose value is null (a compaction tombstone) carries it
 * in the {@value #HEADER} header, so the value stays null and log compaction removes the key as always.
 * It binds the topic, the record key (by its SHA-256, as written: the encrypted form when record keys are
 * encrypted) and the trace, under the topic's data key; a writer without the topic's key cannot make one,
 * and one copied to another key or topic fails.
 *
 * <p>This is the cleartext part every version shares, readable without a key (the policy gate checks it
 * structurally). Each wire version is its own class, chosen by the version byte ({@link DeleteProofV1}).
 * Byte layout and test vector: {@code docs/wire-format.md}.
 */
public final class DeleteProof {
    /** The header that carries a delete's proof. */
    public static final String HEADER = "ciphertrail.delete";
    static final byte MAGIC_0 = (byte) 0xC7;
    static final byte MAGIC_1 = 0x44;

    private final int version;
    private final byte[] data;
    private final String boundTopic;
    private final Edek edek;
    private final byte[] keyDigest;
    private final byte[] traceId;
    private final int ivOffset;
    private final int tagOffset;

    DeleteProof(int version, byte[] data, String boundTopic, Edek edek, byte[] keyDigest, byte[] traceId, int ivOffset, int tagOffset) {
        this.version = version;
        this.data = data;
        this.boundTopic = boundTopic;
        this.edek = edek;
        this.keyDigest = keyDigest;
        this.traceId = traceId;
        this.ivOffset = ivOffset;
        this.tagOffset = tagOffset;
    }

    /**
     * Parses a proof's cleartext. Throws only {@link EnvelopeException}: {@code MALFORMED} for damaged
     * bytes or another magic, {@code UNSUPPORTED_VERSION} for a version this client does not read.
     *
     * @param topic the topic the delete was read from, for messages
     */
    public static DeleteProof parse(byte[] data, String topic) {
        if (data == null || data.length < 3 || data[0] != MAGIC_0 || data[1] != MAGIC_1) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "the " + HEADER + " header is not a delete proof");
        }
        if (data[2] == DeleteProofV1.VERSION) {
            return DeleteProofV1.read(data, topic);
        }
        throw new EnvelopeException(Reason.UNSUPPORTED_VERSION, topic, "delete proof version " + (data[2] & 0xFF)
                + ", this client reads version " + DeleteProofV1.VERSION);
    }

    /** SHA-256 of a record key as written, the way proofs bind it; null for a null key. */
    public static byte[] keyDigest(byte[] recordKey) {
        if (recordKey == null) {
            return null;
        }
        try {
            return MessageDigest.getInstance("SHA-256").digest(recordKey);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** True when this proof was made for a record with {@code recordKey} (as written; null for none). */
    public boolean boundTo(byte[] recordKey) {
        return keyDigest == null ? recordKey == null : recordKey != null && MessageDigest.isEqual(keyDigest, keyDigest(recordKey));
    }

    public int version() {
        return version;
    }

    /** The topic whose readers may act on the delete. */
    public String boundTopic() {
        return boundTopic;
    }

    /** The KEK version that wrapped the data key the proof is made with. */
    public KekRef kek() {
        return edek.kek();
    }

    public Edek edek() {
        return edek;
    }

    /** The trace ID the delete was sent with, if one was bound. */
    public Optional<String> boundTraceId() {
        return traceId == null ? Optional.empty() : Optional.of(TraceContext.traceIdHex(traceId));
    }

    /** Checks the tag under the unwrapped data key: a failure is an altered or forged proof. */
    void verify(Cipher gcm, SecretKey key) throws GeneralSecurityException {
        DeleteProofV1.verify(gcm, key, this);
    }

    byte[] traceIdBytes() {
        return traceId;
    }

    byte[] data() {
        return data;
    }

    int ivOffset() {
        return ivOffset;
    }

    /** Where the tag starts: everything before it is authenticated. */
    int tagOffset() {
        return tagOffset;
    }

    @Override
    public String toString() {
        return "DeleteProof[v" + version + ", topic=" + boundTopic + ", kek=" + edek.kek()
                + (keyDigest == null ? ", no key" : "") + boundTraceId().map(t -> ", trace=" + t).orElse("") + "]";
    }
}
