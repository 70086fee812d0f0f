package io.ciphertrail.core.envelope;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Delete proof, version 1 (read forever; written by writers of envelope version 1): an AES-256-GCM tag over an empty
 * plaintext, under the topic's data key, whose associated data is the whole cleartext below.
 *
 * <pre>
 * magic       2   0xC7 0x44
 * version     1   0x01
 * flags       1   bit 0: trace bound, bit 1: record key bound; others 0
 * binding         topic, KEK alias and version, wrapped key, trace ID ({@link BindingV1})
 * key digest  32  if bit 1: SHA-256 of the record key as written
 * iv          12
 * tag         16
 * </pre>
 */
final class DeleteProofV1 extends DeleteProof {
    static final byte VERSION = 1;

    private final int ivOffset;

    private DeleteProofV1(byte[] data, BindingV1 binding, int keyDigestOffset, int ivOffset) {
        super(data, binding, keyDigestOffset, ivOffset + EnvelopeV1.IV_LENGTH);
        this.ivOffset = ivOffset;
    }

    static DeleteProofV1 read(byte[] data, String topic) {
        Envelope.Reader in = new Envelope.Reader(data, topic, 3);
        int flags = flags(in);
        BindingV1 binding = BindingV1.read(in, (flags & FLAG_TRACE) != 0);
        int keyDigestOffset = -1;
        if ((flags & FLAG_KEY) != 0) {
            keyDigestOffset = in.position();
            in.skip(DIGEST_LENGTH, "key digest");
        }
        int ivOffset = in.position();
        in.skip(EnvelopeV1.IV_LENGTH, "IV");
        if (data.length - in.position() != Envelope.TAG_LENGTH) {
            throw in.malformed("delete proof of " + data.length + " bytes: the tag must be its last " + Envelope.TAG_LENGTH);
        }
        return new DeleteProofV1(data, binding, keyDigestOffset, ivOffset);
    }

    @Override
    public int version() {
        return VERSION;
    }

    /**
     * Makes a proof.
     *
     * @param keySection topic, KEK alias and version and wrapped data key, as in an envelope ({@link BindingV1#keySection})
     * @param traceId    16 bytes, or null
     * @param keyDigest  32 bytes, or null for a null record key
     * @param iv         12 bytes never used before under {@code key}
     */
    static byte[] seal(Cipher gcm, SecretKey key, byte[] keySection, byte[] traceId, byte[] keyDigest, byte[] iv)
            throws GeneralSecurityException {
        byte[] proof = layout(VERSION, keySection, traceId, keyDigest, iv.length);
        int tagOffset = proof.length - Envelope.TAG_LENGTH;
        EnvelopeV1.put(proof, tagOffset - iv.length, iv);
        gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(Envelope.TAG_LENGTH * 8, iv));
        gcm.updateAAD(proof, 0, tagOffset);
        gcm.doFinal(proof, 0, 0, proof, tagOffset);
        return proof;
    }

    @Override
    byte[] iv() {
        return java.util.Arrays.copyOfRange(data, ivOffset, ivOffset + EnvelopeV1.IV_LENGTH);
    }

    @Override
    void verify(Cipher gcm, SecretKey key, TopicBinding topic) throws GeneralSecurityException {
        gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(Envelope.TAG_LENGTH * 8, data, ivOffset, EnvelopeV1.IV_LENGTH));
        gcm.updateAAD(data, 0, tagOffset);
        gcm.doFinal(data, tagOffset, Envelope.TAG_LENGTH);
    }
}
