package io.ciphertrail.core.envelope;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Delete proof, version 2 (written with envelope version 2): an AES-256-GCM tag over an empty plaintext, under the
 * topic's data key. The associated data is every byte before the tag, then {@code u8 topic length, topic,
 * u16 alias length, alias} ({@link TopicBinding}).
 *
 * <pre>
 * magic       2   0xC7 0x44
 * version     1   0x02
 * flags       1   bit 0: trace bound, bit 1: record key bound; others 0
 * binding         topic and KEK fingerprints, KEK version, wrapped key, trace context ({@link BindingV2})
 * key digest  32  if bit 1: SHA-256 of the record key as written
 * iv counter  varint, 0 to 2^32-1, as in the envelope (the IV is 4 zero bytes and the counter as u64)
 * tag         16
 * </pre>
 */
final class DeleteProofV2 extends DeleteProof {
    static final byte VERSION = 2;

    private final long counter;

    private DeleteProofV2(byte[] data, BindingV2 binding, int keyDigestOffset, long counter, int tagOffset) {
        super(data, binding, keyDigestOffset, tagOffset);
        this.counter = counter;
    }

    static DeleteProofV2 read(byte[] data, String topic) {
        Envelope.Reader in = new Envelope.Reader(data, topic, 3);
        int flags = flags(in);
        BindingV2 binding = BindingV2.read(in, data, (flags & FLAG_TRACE) != 0);
        int keyDigestOffset = -1;
        if ((flags & FLAG_KEY) != 0) {
            keyDigestOffset = in.position();
            in.skip(DIGEST_LENGTH, "key digest");
        }
        long counter = in.varint(5, EnvelopeV2.MAX_COUNTER, "IV counter");
        if (data.length - in.position() != Envelope.TAG_LENGTH) {
            throw in.malformed("delete proof of " + data.length + " bytes: the tag must be its last " + Envelope.TAG_LENGTH);
        }
        return new DeleteProofV2(data, binding, keyDigestOffset, counter, in.position());
    }

    @Override
    public int version() {
        return VERSION;
    }

    /**
     * Makes a proof.
     *
     * @param keySection fingerprints, KEK version and wrapped key, as in an envelope ({@link BindingV2#keySection})
     * @param topic      the topic the delete is meant for, with its KEK alias: bound, not written
     * @param trace      the binary trace context, or null
     * @param keyDigest  32 bytes, or null for a null record key
     * @param counter    never used before under {@code key}
     */
    static byte[] seal(Cipher gcm, SecretKey key, byte[] keySection, TopicBinding topic, byte[] trace, byte[] keyDigest, long counter)
            throws GeneralSecurityException {
        byte[] proof = layout(VERSION, keySection, trace, keyDigest, Varint.size(counter));
        int tagOffset = proof.length - Envelope.TAG_LENGTH;
        Varint.write(proof, tagOffset - Varint.size(counter), counter);
        gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(Envelope.TAG_LENGTH * 8, EnvelopeV2.iv(counter)));
        EnvelopeV2.authenticate(gcm, proof, tagOffset, topic, null);
        gcm.doFinal(proof, 0, 0, proof, tagOffset);
        return proof;
    }

    @Override
    byte[] iv() {
        return EnvelopeV2.iv(counter);
    }

    @Override
    void verify(Cipher gcm, SecretKey key, TopicBinding topic) throws GeneralSecurityException {
        gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(Envelope.TAG_LENGTH * 8, EnvelopeV2.iv(counter)));
        EnvelopeV2.authenticate(gcm, data, tagOffset, topic, null);
        gcm.doFinal(data, tagOffset, Envelope.TAG_LENGTH);
    }
}
