package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/**
 * A parsed Ciphertrail envelope: everything in its cleartext header, which needs no key to read. The policy
 * service uses this to check records it can never decrypt.
 *
 * <p>Every envelope starts with the magic {@code C7 54} and a version byte; each wire version is its own class,
 * chosen by {@link #parse} from that byte ({@link EnvelopeV1}, {@link EnvelopeV2}), so records of every version
 * ever written keep decoding. What they bind (topic, KEK, trace) is a {@link RecordBinding}. Full specification
 * and test vectors: {@code docs/wire-format.md}.
 */
public abstract sealed class Envelope permits EnvelopeV1, EnvelopeV2 {
    static final byte MAGIC_0 = (byte) 0xC7;
    static final byte MAGIC_1 = 0x54;
    static final int FLAG_TRACE = 1;
    static final int FLAG_PROTECTED = 1 << 1;
    static final int FLAG_HEADER_VALUE = 1 << 2;
    static final int KNOWN_FLAGS = FLAG_TRACE | FLAG_PROTECTED | FLAG_HEADER_VALUE;
    static final int TAG_LENGTH = 16;
    static final int DIGEST_LENGTH = 32;
    /** Most bytes of a header name an envelope binds (protected, or the header an encrypted value belongs to). */
    public static final int MAX_HEADER_NAME_LENGTH = 255;

    final byte[] data;
    final int flags;
    private final RecordBinding binding;
    private final List<String> protectedHeaders;
    private final int digestOffset;
    /** Where the ciphertext starts. */
    final int ciphertextOffset;

    Envelope(byte[] data, int flags, RecordBinding binding, List<String> protectedHeaders, int digestOffset, int ciphertextOffset) {
        this.data = data;
        this.flags = flags;
        this.binding = binding;
        this.protectedHeaders = protectedHeaders;
        this.digestOffset = digestOffset;
        this.ciphertextOffset = ciphertextOffset;
    }

    /** True when {@code data} starts with the envelope magic; says nothing about whether the rest is sound. */
    public static boolean hasMagic(byte[] data) {
        return data != null && data.length >= 2 && data[0] == MAGIC_0 && data[1] == MAGIC_1;
    }

    /**
     * Parses the cleartext header of any version this client reads. Never throws anything but
     * {@link EnvelopeException}, whatever the input: {@code NOT_ENCRYPTED} without the magic,
     * {@code UNSUPPORTED_VERSION}, or {@code MALFORMED}.
     *
     * @param topic the topic the record was read from, for the exception message
     */
    public static Envelope parse(byte[] data, String topic) {
        if (!hasMagic(data)) {
            throw new EnvelopeException(Reason.NOT_ENCRYPTED, topic, null);
        }
        if (data.length < 3) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "truncated after the magic");
        }
        return switch (data[2]) {
            case EnvelopeV1.VERSION -> EnvelopeV1.read(data, topic);
            case EnvelopeV2.VERSION -> EnvelopeV2.read(data, topic);
            default -> throw new EnvelopeException(Reason.UNSUPPORTED_VERSION, topic, "envelope version " + (data[2] & 0xFF)
                    + ", this client reads versions " + EnvelopeV1.VERSION + " and " + EnvelopeV2.VERSION);
        };
    }

    public abstract int version();

    /** What the envelope binds: topic, KEK, wrapped data key, trace. */
    public RecordBinding binding() {
        return binding;
    }

    /** Names of the headers whose values are bound into the envelope. */
    public List<String> protectedHeaders() {
        return protectedHeaders;
    }

    /** True when the bound digest of the protected headers is {@code digest}. */
    boolean protectedDigestIs(byte[] digest) {
        return digestOffset >= 0 && MessageDigest.isEqual(Arrays.copyOfRange(data, digestOffset, digestOffset + DIGEST_LENGTH), digest);
    }

    /** True when this envelope is the value of a record header, not of a record. */
    public boolean isHeaderValue() {
        return (flags & FLAG_HEADER_VALUE) != 0;
    }

    /** Total size in bytes. */
    public int size() {
        return data.length;
    }

    /** The 12-byte AES-GCM IV this envelope was sealed with. */
    abstract byte[] iv();

    /**
     * Decrypts and authenticates the ciphertext under the data key.
     *
     * @param topic      the topic the record was read from, with its KEK alias (the caller checked the binding)
     * @param headerName for an encrypted header value, the header's name; null for a record value
     * @throws javax.crypto.AEADBadTagException when the tag does not verify
     */
    abstract byte[] open(Cipher gcm, SecretKey key, TopicBinding topic, String headerName) throws GeneralSecurityException;

    @Override
    public String toString() {
        return "Envelope[v" + version() + ", " + binding + (protectedHeaders.isEmpty() ? "" : ", protected=" + protectedHeaders)
                + (isHeaderValue() ? ", header value" : "") + ", " + data.length + " bytes]";
    }

    /** Reads the names and digest of the protected headers; {@code nameLength} is 1 (version 2) or 2 (version 1) bytes. */
    static List<String> protectedNames(Reader in, int nameLength, int maxName) {
        int count = in.u8();
        if (count == 0) {
            throw in.malformed("protected-header flag set with no header names");
        }
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(nameLength == 1 ? in.shortString("protected header name") : in.string(maxName, "protected header name"));
        }
        return List.copyOf(names);
    }

    /** Bounds-checked reads; every overrun or out-of-range value is MALFORMED with the field's name. */
    static final class Reader {
        private final byte[] data;
        private final String topic;
        private int position;

        Reader(byte[] data, String topic, int position) {
            this.data = data;
            this.topic = topic;
            this.position = position;
        }

        int position() {
            return position;
        }

        EnvelopeException malformed(String detail) {
            return new EnvelopeException(Reason.MALFORMED, topic, detail);
        }

        void skip(int count, String field) {
            require(count, field);
            position += count;
        }

        int u8() {
            require(1, "header");
            return data[position++] & 0xFF;
        }

        int u16() {
            require(2, "length");
            int value = ((data[position] & 0xFF) << 8) | (data[position + 1] & 0xFF);
            position += 2;
            return value;
        }

        int i32(String field) {
            require(4, field);
            int value = ((data[position] & 0xFF) << 24) | ((data[position + 1] & 0xFF) << 16)
                    | ((data[position + 2] & 0xFF) << 8) | (data[position + 3] & 0xFF);
            position += 4;
            return value;
        }

        long u32() {
            return i32("KEK version") & 0xFFFFFFFFL;
        }

        /** A varint ({@link Varint}) of at most {@code maxBytes} bytes and value {@code max}, in its shortest form. */
        long varint(int maxBytes, long max, String field) {
            long value = 0;
            for (int i = 0; i < maxBytes; i++) {
                require(1, field);
                int b = data[position++] & 0xFF;
                value |= (long) (b & 0x7F) << (7 * i);
                if ((b & 0x80) == 0) {
                    if (b == 0 && i > 0) {
                        throw malformed(field + " is not a varint in its shortest form");
                    }
                    if (value > max) {
                        throw malformed(field + " " + value + " is out of range (at most " + max + ")");
                    }
                    return value;
                }
            }
            throw malformed(field + " is a varint longer than " + maxBytes + " bytes");
        }

        byte[] bytes(int length, int max, String field) {
            if (length > max) {
                throw malformed(field + " of " + length + " bytes exceeds " + max);
            }
            require(length, field);
            byte[] bytes = Arrays.copyOfRange(data, position, position + length);
            position += length;
            return bytes;
        }

        /** A string of 1 to {@code max} bytes of UTF-8 after a {@code u16} length. */
        String string(int max, String field) {
            return utf8(u16(), max, field);
        }

        /** A string of 1 to 255 bytes of UTF-8 after a {@code u8} length. */
        String shortString(String field) {
            return utf8(u8(), MAX_HEADER_NAME_LENGTH, field);
        }

        private String utf8(int length, int max, String field) {
            if (length == 0) {
                throw malformed("empty " + field);
            }
            if (length > max) {
                throw malformed(field + " of " + length + " bytes exceeds " + max);
            }
            require(length, field);
            int from = position;
            position += length;
            if (isAscii(from, length)) {
                // ASCII is valid UTF-8 and decodes to the same characters: skip the decoder
                return new String(data, from, length, StandardCharsets.US_ASCII);
            }
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(data, from, length)).toString();
            } catch (CharacterCodingException e) {
                throw malformed(field + " is not valid UTF-8");
            }
        }

        private boolean isAscii(int from, int length) {
            for (int i = from; i < from + length; i++) {
                if (data[i] < 0) {
                    return false;
                }
            }
            return true;
        }

        /** At least {@code count} bytes remain, else MALFORMED naming the field. */
        void require(int count, String field) {
            if (count < 0 || data.length - position < count) {
                throw malformed("truncated in the " + field + " at byte " + position);
            }
        }

        /** What follows is the ciphertext and its tag, at least {@value #TAG_LENGTH} bytes. */
        void requireTag() {
            if (data.length - position < TAG_LENGTH) {
                throw malformed("truncated: " + data.length + " bytes leave no room for the authentication tag");
            }
        }
    }
}
