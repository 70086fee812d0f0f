package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
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
 * structurally). Each wire version is its own class, chosen by the version byte ({@link DeleteProofV1},
 * {@link DeleteProofV2}). Byte layout and test vectors: {@code docs/wire-format.md}.
 */
public abstract sealed class DeleteProof permits DeleteProofV1, DeleteProofV2 {
    /** The header that carries a delete's proof. */
    public static final String HEADER = "ciphertrail.delete";
    static final byte MAGIC_0 = (byte) 0xC7;
    static final byte MAGIC_1 = 0x44;
    static final int FLAG_TRACE = 1;
    static final int FLAG_KEY = 1 << 1;
    static final int DIGEST_LENGTH = 32;

    final byte[] data;
    private final RecordBinding binding;
    private final int keyDigestOffset;
    /** Where the tag starts: everything before it is authenticated. */
    final int tagOffset;

    DeleteProof(byte[] data, RecordBinding binding, int keyDigestOffset, int tagOffset) {
        this.data = data;
        this.binding = binding;
        this.keyDigestOffset = keyDigestOffset;
        this.tagOffset = tagOffset;
    }

    /**
     * A proof's bytes with every field before the IV written (magic, {@code version}, flags, the key section, the trace
     * and the key digest, each only when not null), sized for an IV field of {@code ivFieldLength} bytes and the tag:
     * the IV field starts at {@code length - TAG_LENGTH - ivFieldLength}, the tag after it.
     */
    static byte[] layout(byte version, byte[] keySection, byte[] trace, byte[] keyDigest, int ivFieldLength) {
        int flags = (trace != null ? FLAG_TRACE : 0) | (keyDigest != null ? FLAG_KEY : 0);
        byte[] proof = new byte[4 + keySection.length + (trace != null ? trace.length : 0)
                + (keyDigest != null ? keyDigest.length : 0) + ivFieldLength + Envelope.TAG_LENGTH];
        proof[0] = MAGIC_0;
        proof[1] = MAGIC_1;
        proof[2] = version;
        proof[3] = (byte) flags;
        int at = EnvelopeV1.put(proof, 4, keySection);
        if (trace != null) {
            at = EnvelopeV1.put(proof, at, trace);
        }
        if (keyDigest != null) {
            EnvelopeV1.put(proof, at, keyDigest);
        }
        return proof;
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
        return switch (data[2]) {
            case DeleteProofV1.VERSION -> DeleteProofV1.read(data, topic);
            case DeleteProofV2.VERSION -> DeleteProofV2.read(data, topic);
            default -> throw new EnvelopeException(Reason.UNSUPPORTED_VERSION, topic, "delete proof version " + (data[2] & 0xFF)
                    + ", this client reads versions " + DeleteProofV1.VERSION + " and " + DeleteProofV2.VERSION);
        };
    }

    /** Reads the flags byte after magic and version; unknown bits are MALFORMED. */
    static int flags(Envelope.Reader in) {
        int flags = in.u8();
        if ((flags & ~(FLAG_TRACE | FLAG_KEY)) != 0) {
            throw in.malformed("unknown delete proof flags 0x" + Integer.toHexString(flags));
        }
        return flags;
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
        if (keyDigestOffset < 0) {
            return recordKey == null;
        }
        return recordKey != null && MessageDigest.isEqual(
                Arrays.copyOfRange(data, keyDigestOffset, keyDigestOffset + DIGEST_LENGTH), keyDigest(recordKey));
    }

    public abstract int version();

    /** What the proof binds: topic, KEK, wrapped data key, trace. */
    public RecordBinding binding() {
        return binding;
    }

    /** The 12-byte AES-GCM IV the tag was made with. */
    abstract byte[] iv();

    /**
     * Checks the tag under the unwrapped data key: a failure is an altered or forged proof.
     *
     * @param topic the topic the delete was read from, with its KEK alias (the caller checked the binding)
     */
    abstract void verify(Cipher gcm, SecretKey key, TopicBinding topic) throws GeneralSecurityException;

    @Override
    public String toString() {
        return "DeleteProof[v" + version() + ", " + binding + (keyDigestOffset < 0 ? ", no key" : "") + "]";
    }
}
