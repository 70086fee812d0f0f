package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.trace.TraceContext;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A parsed Ciphertrail envelope, version 1: everything in its cleartext header, which needs no key
 * to read. The policy service uses this to check records it can never decrypt.
 *
 * <pre>
 * magic      2  0xC7 0x54
 * version    1  0x01
 * flags      1  bit 0: trace bound, bit 1: protected headers, bit 2: header value; others 0
 * topic      2+n  u16 length, UTF-8 (the topic the record is encrypted for)
 * kek alias  2+n  u16 length, UTF-8
 * kek vers.  4  u32
 * edek       2+n  u16 length, bytes (the wrapped data key)
 * trace id   16   if bit 0
 * protected  1 + count × (2+n) + 32   if bit 1: names, then SHA-256 of their values
 * header     2+n  if bit 2: the header name this envelope is the value of
 * iv         12
 * ciphertext n + 16-byte GCM tag
 * </pre>
 *
 * The associated data of the AES-GCM encryption is every byte before the ciphertext. Full
 * specification and test vectors: {@code docs/wire-format.md}.
 */
public final class Envelope {
    static final byte MAGIC_0 = (byte) 0xC7;
    static final byte MAGIC_1 = 0x54;
    public static final int VERSION = 1;
    static final int FLAG_TRACE = 1;
    static final int FLAG_PROTECTED = 1 << 1;
    static final int FLAG_HEADER_VALUE = 1 << 2;
    static final int KNOWN_FLAGS = FLAG_TRACE | FLAG_PROTECTED | FLAG_HEADER_VALUE;
    static final int IV_LENGTH = 12;
    static final int TAG_LENGTH = 16;
    static final int TRACE_ID_LENGTH = 16;
    static final int DIGEST_LENGTH = 32;
    static final int MAX_TOPIC_LENGTH = 249;
    static final int MAX_NAME_LENGTH = 1024;

    private final byte[] data;
    private final String boundTopic;
    private final KekRef kek;
    private final Edek edek;
    private final byte[] traceId;
    private final List<String> protectedHeaders;
    private final byte[] headerDigest;
    private final String headerName;
    private final int ivOffset;

    private Envelope(byte[] data, String boundTopic, KekRef kek, Edek edek, byte[] traceId, List<String> protectedHeaders,
                     byte[] headerDigest, String headerName, int ivOffset) {
        this.data = data;
        this.boundTopic = boundTopic;
        this.kek = kek;
        this.edek = edek;
        this.traceId = traceId;
        this.protectedHeaders = protectedHeaders;
        this.headerDigest = headerDigest;
        this.headerName = headerName;
        this.ivOffset = ivOffset;
    }

    /** True when {@code data} starts with the envelope magic; says nothing about whether the rest is sound. */
    public static boolean hasMagic(byte[] data) {
        return data != null && data.length >= 2 && data[0] == MAGIC_0 && data[1] == MAGIC_1;
    }

    /**
     * Parses the cleartext header. Never throws anything but {@link EnvelopeException}, whatever the input:
     * {@code NOT_ENCRYPTED} without the magic, {@code UNSUPPORTED_VERSION}, or {@code MALFORMED}.
     *
     * @param topic the topic the record was read from, for the exception message
     */
    public static Envelope parse(byte[] data, String topic) {
        if (!hasMagic(data)) {
            throw new EnvelopeException(Reason.NOT_ENCRYPTED, topic, null);
        }
        Reader in = new Reader(data, topic);
        in.skip(2);
        int version = in.u8();
        if (version != VERSION) {
            throw new EnvelopeException(Reason.UNSUPPORTED_VERSION, topic, "envelope version " + version
                    + ", this client reads version " + VERSION);
        }
        int flags = in.u8();
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "unknown flags 0x" + Integer.toHexString(flags));
        }
        String boundTopic = in.string(MAX_TOPIC_LENGTH, "topic");
        String alias = in.string(MAX_NAME_LENGTH, "KEK alias");
        long kekVersion = in.u32();
        if (kekVersion < 1 || kekVersion > Integer.MAX_VALUE) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "KEK version " + kekVersion + " is out of range");
        }
        byte[] wrapped = in.bytes(in.u16(), MAX_NAME_LENGTH, "wrapped data key");
        if (wrapped.length == 0) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "empty wrapped data key");
        }
        KekRef kek = new KekRef(alias, (int) kekVersion);
        byte[] traceId = (flags & FLAG_TRACE) != 0 ? in.bytes(TRACE_ID_LENGTH, TRACE_ID_LENGTH, "trace id") : null;
        List<String> protectedHeaders = List.of();
        byte[] digest = null;
        if ((flags & FLAG_PROTECTED) != 0) {
            int count = in.u8();
            if (count == 0) {
                throw new EnvelopeException(Reason.MALFORMED, topic, "protected-header flag set with no header names");
            }
            List<String> names = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                names.add(in.string(MAX_NAME_LENGTH, "protected header name"));
            }
            protectedHeaders = List.copyOf(names);
            digest = in.bytes(DIGEST_LENGTH, DIGEST_LENGTH, "protected header digest");
        }
        String headerName = (flags & FLAG_HEADER_VALUE) != 0 ? in.string(MAX_NAME_LENGTH, "header name") : null;
        int ivOffset = in.position();
        in.skip(IV_LENGTH);
        if (data.length - in.position() < TAG_LENGTH) {
            throw new EnvelopeException(Reason.MALFORMED, topic, "truncated: " + data.length + " bytes leave no room for the authentication tag");
        }
        return new Envelope(data, boundTopic, kek, new Edek(kek, wrapped), traceId, protectedHeaders, digest, headerName, ivOffset);
    }

    /** The topic the record was encrypted for. */
    public String boundTopic() {
        return boundTopic;
    }

    /** The KEK version that wrapped the data key. */
    public KekRef kek() {
        return kek;
    }

    public Edek edek() {
        return edek;
    }

    public int version() {
        return VERSION;
    }

    /** The 16 bytes of the bound trace ID, or null; not a copy. */
    byte[] traceIdBytes() {
        return traceId;
    }

    /** The trace ID (32 hex characters) the record was encrypted with, if one was bound. */
    public Optional<String> boundTraceId() {
        return traceId == null ? Optional.empty() : Optional.of(TraceContext.traceIdHex(traceId));
    }

    /** Names of the headers whose values are bound into the envelope. */
    public List<String> protectedHeaders() {
        return protectedHeaders;
    }

    byte[] headerDigest() {
        return headerDigest;
    }

    /** For an encrypted header value: the header's name. */
    public Optional<String> headerName() {
        return Optional.ofNullable(headerName);
    }

    /** Total size in bytes. */
    public int size() {
        return data.length;
    }

    byte[] data() {
        return data;
    }

    int ivOffset() {
        return ivOffset;
    }

    /** Where the ciphertext starts: everything before it is associated data. */
    int ciphertextOffset() {
        return ivOffset + IV_LENGTH;
    }

    @Override
    public String toString() {
        return "Envelope[v" + VERSION + ", topic=" + boundTopic + ", kek=" + kek
                + boundTraceId().map(t -> ", trace=" + t).orElse("")
                + (protectedHeaders.isEmpty() ? "" : ", protected=" + protectedHeaders)
                + (headerName == null ? "" : ", header=" + headerName) + ", " + data.length + " bytes]";
    }

    /** Bounds-checked reads; every overrun is MALFORMED with the field's name. */
    static final class Reader {
        private final byte[] data;
        private final String topic;
        private int position;

        Reader(byte[] data, String topic) {
            this.data = data;
            this.topic = topic;
        }

        int position() {
            return position;
        }

        void skip(int count) {
            require(count, "envelope");
            position += count;
        }

        int u8() {
            require(1, "envelope header");
            return data[position++] & 0xFF;
        }

        int u16() {
            require(2, "length");
            int value = ((data[position] & 0xFF) << 8) | (data[position + 1] & 0xFF);
            position += 2;
            return value;
        }

        long u32() {
            require(4, "KEK version");
            long value = ((long) (data[position] & 0xFF) << 24) | ((data[position + 1] & 0xFF) << 16)
                    | ((data[position + 2] & 0xFF) << 8) | (data[position + 3] & 0xFF);
            position += 4;
            return value;
        }

        byte[] bytes(int length, int max, String field) {
            if (length > max) {
                throw new EnvelopeException(Reason.MALFORMED, topic, field + " of " + length + " bytes exceeds " + max);
            }
            require(length, field);
            byte[] bytes = Arrays.copyOfRange(data, position, position + length);
            position += length;
            return bytes;
        }

        String string(int max, String field) {
            int length = u16();
            if (length == 0) {
                throw new EnvelopeException(Reason.MALFORMED, topic, "empty " + field);
            }
            if (length > max) {
                throw new EnvelopeException(Reason.MALFORMED, topic, field + " of " + length + " bytes exceeds " + max);
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
                throw new EnvelopeException(Reason.MALFORMED, topic, field + " is not valid UTF-8");
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

        private void require(int count, String field) {
            if (count < 0 || data.length - position < count) {
                throw new EnvelopeException(Reason.MALFORMED, topic, "truncated in the " + field + " at byte " + position);
            }
        }
    }
}
