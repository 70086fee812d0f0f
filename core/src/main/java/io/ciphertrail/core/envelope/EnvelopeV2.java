package io.ciphertrail.core.envelope;

import io.ciphertrail.core.trace.TraceContext;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Envelope version 2, the compact form written by default: what the reader knows already (the topic, the KEK alias,
 * the name of the header a value belongs to) is bound through the associated data instead of travelling, the trace
 * context travels here instead of in a {@code traceparent} header, lengths are varints and the IV is its counter.
 *
 * <pre>
 * magic      2  0xC7 0x54
 * version    1  0x02
 * flags      1  bit 0: trace bound, bit 1: protected headers, bit 2: header value; others 0
 * binding       topic and KEK fingerprints, KEK version, wrapped key, trace context ({@link BindingV2})
 * protected  1 + count × (1+n) + 32   if bit 1: u8 count, names (u8 length, UTF-8), SHA-256 of their values
 * iv counter varint, 0 to 2^32-1 (1 to 5 bytes); the IV is 4 zero bytes and the counter as u64
 * ciphertext n + 16-byte GCM tag
 * </pre>
 *
 * The associated data is every byte before the ciphertext, then {@code u8 topic length, topic, u16 alias length,
 * alias} ({@link TopicBinding}), then for a header value {@code u8 name length, name}.
 */
final class EnvelopeV2 extends Envelope {
    static final byte VERSION = 2;
    static final int IV_LENGTH = 12;
    /** IV counters are below 2^32: a data key encrypts at most that many records ({@code dek.max.encryptions}). */
    static final long MAX_COUNTER = 0xFFFFFFFFL;
    /**
     * Where the associated data is put together, so AES-GCM gets it in one call: the JDK's GCM charges some tens of
     * nanoseconds per {@code updateAAD} call on top of the bytes, a third of the cost of a small record.
     */
    private static final ThreadLocal<byte[]> ASSOCIATED_DATA = ThreadLocal.withInitial(() -> new byte[512]);

    private final long counter;

    private EnvelopeV2(byte[] data, int flags, BindingV2 binding, List<String> protectedHeaders, int digestOffset, long counter,
                       int ciphertextOffset) {
        super(data, flags, binding, protectedHeaders, digestOffset, ciphertextOffset);
        this.counter = counter;
    }

    static EnvelopeV2 read(byte[] data, String topic) {
        Reader in = new Reader(data, topic, 3);
        int flags = in.u8();
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw in.malformed("unknown flags 0x" + Integer.toHexString(flags));
        }
        BindingV2 binding = BindingV2.read(in, data, (flags & FLAG_TRACE) != 0);
        List<String> protectedHeaders = List.of();
        int digestOffset = -1;
        if ((flags & FLAG_PROTECTED) != 0) {
            protectedHeaders = protectedNames(in, 1, MAX_HEADER_NAME_LENGTH);
            digestOffset = in.position();
            in.skip(DIGEST_LENGTH, "protected header digest");
        }
        long counter = in.varint(5, MAX_COUNTER, "IV counter");
        in.requireTag();
        return new EnvelopeV2(data, flags, binding, protectedHeaders, digestOffset, counter, in.position());
    }

    @Override
    public int version() {
        return VERSION;
    }

    @Override
    byte[] iv() {
        return iv(counter);
    }

    @Override
    byte[] open(Cipher gcm, SecretKey key, TopicBinding topic, String headerName) throws GeneralSecurityException {
        gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, iv(counter)));
        authenticate(gcm, data, ciphertextOffset, topic, headerName);
        return gcm.doFinal(data, ciphertextOffset, data.length - ciphertextOffset);
    }

    /**
     * Encrypts {@code plaintext} into a complete version 2 envelope.
     *
     * @param keySection     fingerprints, KEK version and wrapped key ({@link BindingV2#keySection})
     * @param topic          the topic it is encrypted for, with its KEK alias: bound, not written
     * @param trace          the binary trace context ({@value TraceContext#BINARY_LENGTH} bytes), or null
     * @param protectedNames names of protected headers (empty for none) and their {@code digest}
     * @param headerName     for an encrypted header value, the header's name (bound, not written); otherwise null
     * @param counter        never used before under {@code key}, at most {@link #MAX_COUNTER}
     */
    static byte[] seal(Cipher cipher, SecretKey key, byte[] keySection, TopicBinding topic, byte[] trace, List<String> protectedNames,
                       byte[] digest, String headerName, long counter, byte[] plaintext) throws GeneralSecurityException {
        if (counter < 0 || counter > MAX_COUNTER) {
            throw new IllegalArgumentException("IV counter " + counter + " is out of range");
        }
        int flags = (trace != null ? FLAG_TRACE : 0)
                | (!protectedNames.isEmpty() ? FLAG_PROTECTED : 0)
                | (headerName != null ? FLAG_HEADER_VALUE : 0);
        int headerLength = 4 + keySection.length + (trace != null ? TraceContext.BINARY_LENGTH : 0) + Varint.size(counter);
        byte[][] protectedNameBytes = null;
        if (!protectedNames.isEmpty()) {
            if (protectedNames.size() > 255) {
                throw new IllegalArgumentException("At most 255 protected headers, got " + protectedNames.size());
            }
            protectedNameBytes = new byte[protectedNames.size()][];
            headerLength += 1 + DIGEST_LENGTH;
            for (int i = 0; i < protectedNameBytes.length; i++) {
                protectedNameBytes[i] = TopicBinding.utf8(protectedNames.get(i), MAX_HEADER_NAME_LENGTH, "protected header name");
                headerLength += 1 + protectedNameBytes[i].length;
            }
        }
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, iv(counter)));
        // The header is written straight into the envelope and authenticated from there: no intermediate copies.
        byte[] envelope = new byte[headerLength + plaintext.length + TAG_LENGTH];
        envelope[0] = MAGIC_0;
        envelope[1] = MAGIC_1;
        envelope[2] = VERSION;
        envelope[3] = (byte) flags;
        int at = EnvelopeV1.put(envelope, 4, keySection);
        if (trace != null) {
            System.arraycopy(trace, 0, envelope, at, TraceContext.BINARY_LENGTH);
            at += TraceContext.BINARY_LENGTH;
        }
        if (protectedNameBytes != null) {
            envelope[at++] = (byte) protectedNameBytes.length;
            for (byte[] name : protectedNameBytes) {
                envelope[at++] = (byte) name.length;
                at = EnvelopeV1.put(envelope, at, name);
            }
            at = EnvelopeV1.put(envelope, at, digest);
        }
        at = Varint.write(envelope, at, counter);
        authenticate(cipher, envelope, at, topic, headerName);
        cipher.doFinal(plaintext, 0, plaintext.length, envelope, at);
        return envelope;
    }

    /**
     * Gives AES-GCM the associated data of version 2 in one call: {@code cleartext[0..length)}, then
     * {@code topic}'s binding block, then, for a header value, the header's name with its {@code u8} length.
     */
    static void authenticate(Cipher gcm, byte[] cleartext, int length, TopicBinding topic, String headerName) {
        byte[] binding = topic.associatedData();
        byte[] name = headerName == null ? null : headerNameBinding(headerName);
        int total = length + binding.length + (name == null ? 0 : name.length);
        byte[] aad = ASSOCIATED_DATA.get();
        if (aad.length < total) {
            aad = new byte[total];
        }
        System.arraycopy(cleartext, 0, aad, 0, length);
        System.arraycopy(binding, 0, aad, length, binding.length);
        if (name != null) {
            System.arraycopy(name, 0, aad, length + binding.length, name.length);
        }
        gcm.updateAAD(aad, 0, total);
    }

    /** The 12-byte IV of version 2: four zero bytes, then the counter as u64. */
    static byte[] iv(long counter) {
        byte[] iv = new byte[IV_LENGTH];
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (counter >>> (56 - 8 * i));
        }
        return iv;
    }

    /** {@code u8 length, name}: how a header value's envelope binds the header's name. */
    static byte[] headerNameBinding(String headerName) {
        byte[] name = TopicBinding.utf8(headerName, MAX_HEADER_NAME_LENGTH, "header name");
        byte[] binding = new byte[1 + name.length];
        binding[0] = (byte) name.length;
        System.arraycopy(name, 0, binding, 1, name.length);
        return binding;
    }
}
