package io.ciphertrail.core.envelope;

import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Envelope version 1, read forever and written while {@code ciphertrail.envelope.format.version=1} (for readers of
 * releases before version 2). The associated data is every byte before the ciphertext.
 *
 * <pre>
 * magic      2  0xC7 0x54
 * version    1  0x01
 * flags      1  bit 0: trace bound, bit 1: protected headers, bit 2: header value; others 0
 * binding       topic, KEK alias and version, wrapped key, trace ID ({@link BindingV1})
 * protected  1 + count × (2+n) + 32   if bit 1: u8 count, names (u16 length, UTF-8), SHA-256 of their values
 * header     2+n  if bit 2: the header name this envelope is the value of
 * iv         12
 * ciphertext n + 16-byte GCM tag
 * </pre>
 */
final class EnvelopeV1 extends Envelope {
    static final byte VERSION = 1;
    static final int IV_LENGTH = 12;
    /** Header names version 1 reads (it writes at most {@link Envelope#MAX_HEADER_NAME_LENGTH}). */
    private static final int MAX_NAME_LENGTH = 1024;

    private final String headerName;
    private final int ivOffset;

    private EnvelopeV1(byte[] data, int flags, BindingV1 binding, List<String> protectedHeaders, int digestOffset, String headerName,
                       int ivOffset) {
        super(data, flags, binding, protectedHeaders, digestOffset, ivOffset + IV_LENGTH);
        this.headerName = headerName;
        this.ivOffset = ivOffset;
    }

    static EnvelopeV1 read(byte[] data, String topic) {
        Reader in = new Reader(data, topic, 3);
        int flags = in.u8();
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw in.malformed("unknown flags 0x" + Integer.toHexString(flags));
        }
        BindingV1 binding = BindingV1.read(in, (flags & FLAG_TRACE) != 0);
        List<String> protectedHeaders = List.of();
        int digestOffset = -1;
        if ((flags & FLAG_PROTECTED) != 0) {
            protectedHeaders = protectedNames(in, 2, MAX_NAME_LENGTH);
            digestOffset = in.position();
            in.skip(DIGEST_LENGTH, "protected header digest");
        }
        String headerName = (flags & FLAG_HEADER_VALUE) != 0 ? in.string(MAX_NAME_LENGTH, "header name") : null;
        int ivOffset = in.position();
        in.skip(IV_LENGTH, "IV");
        in.requireTag();
        return new EnvelopeV1(data, flags, binding, protectedHeaders, digestOffset, headerName, ivOffset);
    }

    @Override
    public int version() {
        return VERSION;
    }

    /** Version 1 names the header an encrypted value belongs to; the reader compares it. */
    Optional<String> headerName() {
        return Optional.ofNullable(headerName);
    }

    @Override
    byte[] iv() {
        return java.util.Arrays.copyOfRange(data, ivOffset, ivOffset + IV_LENGTH);
    }

    @Override
    byte[] open(Cipher gcm, SecretKey key, TopicBinding topic, String headerName) throws GeneralSecurityException {
        gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, data, ivOffset, IV_LENGTH));
        gcm.updateAAD(data, 0, ciphertextOffset);
        return gcm.doFinal(data, ciphertextOffset, data.length - ciphertextOffset);
    }

    /**
     * Encrypts {@code plaintext} into a complete version 1 envelope.
     *
     * @param keySection     topic, KEK and wrapped key ({@link BindingV1#keySection})
     * @param traceId        16 bytes, or null when no trace is bound
     * @param protectedNames names of protected headers (empty for none) and their {@code digest}
     * @param headerName     for an encrypted header value, the header's name; otherwise null
     * @param iv             12 bytes never used before under {@code key}
     */
    static byte[] seal(Cipher cipher, SecretKey key, byte[] keySection, byte[] traceId, List<String> protectedNames,
                       byte[] digest, String headerName, byte[] iv, byte[] plaintext) throws GeneralSecurityException {
        int flags = (traceId != null ? FLAG_TRACE : 0)
                | (!protectedNames.isEmpty() ? FLAG_PROTECTED : 0)
                | (headerName != null ? FLAG_HEADER_VALUE : 0);
        byte[][] protectedNameBytes = null;
        int headerLength = 4 + keySection.length + (traceId != null ? traceId.length : 0) + iv.length;
        if (!protectedNames.isEmpty()) {
            if (protectedNames.size() > 255) {
                throw new IllegalArgumentException("At most 255 protected headers, got " + protectedNames.size());
            }
            protectedNameBytes = new byte[protectedNames.size()][];
            headerLength += 1 + digest.length;
            for (int i = 0; i < protectedNameBytes.length; i++) {
                protectedNameBytes[i] = TopicBinding.utf8(protectedNames.get(i), MAX_HEADER_NAME_LENGTH, "protected header name");
                headerLength += 2 + protectedNameBytes[i].length;
            }
        }
        byte[] headerNameBytes = null;
        if (headerName != null) {
            headerNameBytes = TopicBinding.utf8(headerName, MAX_HEADER_NAME_LENGTH, "header name");
            headerLength += 2 + headerNameBytes.length;
        }

        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, iv));
        // The header is written straight into the envelope and authenticated from there: no intermediate copies.
        byte[] envelope = new byte[headerLength + cipher.getOutputSize(plaintext.length)];
        int at = 0;
        envelope[at++] = MAGIC_0;
        envelope[at++] = MAGIC_1;
        envelope[at++] = VERSION;
        envelope[at++] = (byte) flags;
        at = put(envelope, at, keySection);
        if (traceId != null) {
            at = put(envelope, at, traceId);
        }
        if (protectedNameBytes != null) {
            envelope[at++] = (byte) protectedNameBytes.length;
            for (byte[] name : protectedNameBytes) {
                at = putWithLength(envelope, at, name);
            }
            at = put(envelope, at, digest);
        }
        if (headerNameBytes != null) {
            at = putWithLength(envelope, at, headerNameBytes);
        }
        at = put(envelope, at, iv);
        cipher.updateAAD(envelope, 0, at);
        cipher.doFinal(plaintext, 0, plaintext.length, envelope, at);
        return envelope;
    }

    /** The 12-byte IV of version 1: a prefix fixed per data key, then the counter. */
    static byte[] iv(int prefix, long counter) {
        byte[] iv = new byte[IV_LENGTH];
        for (int i = 0; i < 4; i++) {
            iv[i] = (byte) (prefix >>> (24 - 8 * i));
        }
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (counter >>> (56 - 8 * i));
        }
        return iv;
    }

    static int put(byte[] target, int at, byte[] bytes) {
        System.arraycopy(bytes, 0, target, at, bytes.length);
        return at + bytes.length;
    }

    private static int putWithLength(byte[] target, int at, byte[] bytes) {
        target[at] = (byte) (bytes.length >>> 8);
        target[at + 1] = (byte) bytes.length;
        return put(target, at + 2, bytes);
    }
}
