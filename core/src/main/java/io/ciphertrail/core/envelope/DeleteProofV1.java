package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekRef;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Delete proof, version 1: an AES-256-GCM tag over an empty plaintext, under the topic's data key, whose
 * associated data is the whole cleartext below.
 *
 * <pre>
 * magic       2   0xC7 0x44
 * version     1   0x01
 * flags       1   bit 0: trace bound, bit 1: record key bound; others 0
 * topic       2+n u16 length, UTF-8 (the topic the delete is meant for)
 * kek alias   2+n u16 length, UTF-8
 * kek vers.   4   u32
 * edek        2+n u16 length, bytes (the wrapped data key)
 * trace id    16  if bit 0
 * key digest  32  if bit 1: SHA-256 of the record key as written
 * iv          12
 * tag         16
 * </pre>
 */
final class DeleteProofV1 {
    static final byte VERSION = 1;
    static final int FLAG_TRACE = 1;
    static final int FLAG_KEY = 1 << 1;
    static final int DIGEST_LENGTH = 32;

    private DeleteProofV1() {
    }

    /**
     * Makes a proof.
     *
     * @param keySection topic, KEK alias and version and wrapped data key, as in an envelope ({@link EnvelopeWriter#keySection})
     * @param traceId    16 bytes, or null
     * @param keyDigest  32 bytes, or null for a null record key
     * @param iv         12 bytes never used before under {@code key}
     */
    static byte[] seal(Cipher gcm, SecretKey key, byte[] keySection, byte[] traceId, byte[] keyDigest, byte[] iv)
            throws GeneralSecurityException {
        int flags = (traceId != null ? FLAG_TRACE : 0) | (keyDigest != null ? FLAG_KEY : 0);
        int tagOffset = 4 + keySection.length + (traceId != null ? traceId.length : 0)
                + (keyDigest != null ? keyDigest.length : 0) + iv.length;
        byte[] proof = new byte[tagOffset + Envelope.TAG_LENGTH];
        int at = 0;
        proof[at++] = DeleteProof.MAGIC_0;
        proof[at++] = DeleteProof.MAGIC_1;
        proof[at++] = VERSION;
        proof[at++] = (byte) flags;
        at = put(proof, at, keySection);
        if (traceId != null) {
            at = put(proof, at, traceId);
        }
        if (keyDigest != null) {
            at = put(proof, at, keyDigest);
        }
        put(proof, at, iv);
        gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(Envelope.TAG_LENGTH * 8, iv));
        gcm.updateAAD(proof, 0, tagOffset);
        gcm.doFinal(proof, 0, 0, proof, tagOffset);
        return proof;
    }

    /** Checks the tag; the caller has checked topic, KEK and key binding first. */
    static void verify(Cipher gcm, SecretKey key, DeleteProof proof) throws GeneralSecurityException {
        byte[] data = proof.data();
        gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(Envelope.TAG_LENGTH * 8, data, proof.ivOffset(), Envelope.IV_LENGTH));
        gcm.updateAAD(data, 0, proof.tagOffset());
        gcm.doFinal(data, proof.tagOffset(), Envelope.TAG_LENGTH);
    }

    static DeleteProof read(byte[] data, String topic) {
        Envelope.Reader in = new Envelope.Reader(data, topic);
        in.skip(3);
        int flags = in.u8();
        if ((flags & ~(FLAG_TRACE | FLAG_KEY)) != 0) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "unknown delete proof flags 0x" + Integer.toHexString(flags));
        }
        String boundTopic = in.string(Envelope.MAX_TOPIC_LENGTH, "topic");
        String alias = in.string(Envelope.MAX_NAME_LENGTH, "KEK alias");
        long kekVersion = in.u32();
        if (kekVersion < 1 || kekVersion > Integer.MAX_VALUE) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "KEK version " + kekVersion + " is out of range");
        }
        byte[] wrapped = in.bytes(in.u16(), Envelope.MAX_NAME_LENGTH, "wrapped data key");
        if (wrapped.length == 0) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "empty wrapped data key");
        }
        byte[] traceId = (flags & FLAG_TRACE) != 0 ? in.bytes(Envelope.TRACE_ID_LENGTH, Envelope.TRACE_ID_LENGTH, "trace id") : null;
        byte[] keyDigest = (flags & FLAG_KEY) != 0 ? in.bytes(DIGEST_LENGTH, DIGEST_LENGTH, "key digest") : null;
        int ivOffset = in.position();
        in.skip(Envelope.IV_LENGTH);
        int tagOffset = in.position();
        if (data.length - tagOffset != Envelope.TAG_LENGTH) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "delete proof of " + data.length + " bytes: the tag must be its last "
                    + Envelope.TAG_LENGTH);
        }
        KekRef kek = new KekRef(alias, (int) kekVersion);
        return new DeleteProof(VERSION, data, boundTopic, new Edek(kek, wrapped), keyDigest, traceId, ivOffset, tagOffset);
    }

    private static int put(byte[] target, int at, byte[] bytes) {
        System.arraycopy(bytes, 0, target, at, bytes.length);
        return at + bytes.length;
    }
}
