package io.ciphertrail.core.trace;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * A W3C Trace Context {@code traceparent}: {@code 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>}.
 * The trace ID is what follows an event through every queue; the parent (span) ID may change at each hop.
 */
public record TraceContext(String traceId, String parentId, String flags) {
    /** The Kafka record header that carries the trace context. */
    public static final String HEADER = "traceparent";

    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
    private static final String ZERO_TRACE = "0".repeat(32);
    private static final String ZERO_PARENT = "0".repeat(16);
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    /** The value of each byte as a hex digit of either case, or -1: one lookup per character on the per-record paths. */
    private static final byte[] HEX_VALUES = new byte[256];

    static {
        Arrays.fill(HEX_VALUES, (byte) -1);
        for (int i = 0; i < 16; i++) {
            HEX_VALUES[HEX_DIGITS[i]] = (byte) i;
            HEX_VALUES[Character.toUpperCase(HEX_DIGITS[i])] = (byte) i;
        }
    }
    /** Length of a {@code traceparent} value: {@code 00-} and 32, 16 and 2 hex digits with dashes between. */
    private static final int HEADER_VALUE_LENGTH = 55;
    /** Bytes of the binary form: trace ID (16), parent ID (8), flags (1). */
    public static final int BINARY_LENGTH = 25;

    public TraceContext {
        Objects.requireNonNull(traceId, "traceId");
        Objects.requireNonNull(parentId, "parentId");
        Objects.requireNonNull(flags, "flags");
        // Same rule as the TRACEPARENT pattern on "00-" + traceId + "-" + parentId + "-" + flags, checked
        // by hand because a trace is created for every record sent.
        if (!isLowerHex(traceId, 32) || !isLowerHex(parentId, 16) || !isLowerHex(flags, 2)
                || traceId.equals(ZERO_TRACE) || parentId.equals(ZERO_PARENT)) {
            throw new IllegalArgumentException("Not a valid W3C trace context: trace id '" + traceId
                    + "', parent id '" + parentId + "', flags '" + flags + "'");
        }
    }

    /** A new trace with a random trace ID and span ID, sampled. */
    public static TraceContext newTrace() {
        return new TraceContext(randomHex(16, ZERO_TRACE), randomHex(8, ZERO_PARENT), "01");
    }

    /** The same trace with a new span ID, for a hop that forwards the event. */
    public TraceContext newSpan() {
        return new TraceContext(traceId, randomHex(8, ZERO_PARENT), flags);
    }

    /** Parses a {@code traceparent} value; empty when it is missing or malformed (all-zero IDs, wrong version or length). */
    public static Optional<TraceContext> tryParse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        var matcher = TRACEPARENT.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!matcher.matches() || matcher.group(1).equals(ZERO_TRACE) || matcher.group(2).equals(ZERO_PARENT)) {
            return Optional.empty();
        }
        return Optional.of(new TraceContext(matcher.group(1), matcher.group(2), matcher.group(3)));
    }

    /** The last {@code traceparent} header of a record, if present and well formed. */
    public static Optional<TraceContext> fromHeaders(Headers headers) {
        Header header = headers == null ? null : headers.lastHeader(HEADER);
        return header == null || header.value() == null
                ? Optional.empty()
                : tryParse(new String(header.value(), StandardCharsets.US_ASCII));
    }

    /**
     * The 16 trace-ID bytes of the last {@code traceparent} header, or null when it is missing or
     * malformed: the same answer as {@code fromHeaders(headers).map(TraceContext::traceIdBytes)}, read
     * straight from the header bytes, for the per-record encryption path.
     */
    public static byte[] traceIdBytes(Headers headers) {
        Header header = headers == null ? null : headers.lastHeader(HEADER);
        return header == null ? null : traceIdBytes(header.value());
    }

    /**
     * The 16 trace-ID bytes of a {@code traceparent} header value, or null when it is null or malformed.
     * Accepts exactly what {@link #tryParse} accepts for the value decoded as US-ASCII: surrounding
     * whitespace, upper-case hex digits; never all-zero IDs.
     */
    public static byte[] traceIdBytes(byte[] value) {
        byte[] binary = new byte[BINARY_LENGTH];
        return parseInto(value, binary, 0) ? Arrays.copyOf(binary, 16) : null;
    }

    /**
     * The binary form ({@value #BINARY_LENGTH} bytes: trace ID, parent ID, flags) of the last {@code traceparent}
     * header, or null when it is missing or malformed: what envelopes of version 2 bind.
     */
    public static byte[] binary(Headers headers) {
        Header header = headers == null ? null : headers.lastHeader(HEADER);
        if (header == null) {
            return null;
        }
        byte[] binary = new byte[BINARY_LENGTH];
        return parseInto(header.value(), binary, 0) ? binary : null;
    }

    /**
     * Parses a {@code traceparent} header value (the rules of {@link #tryParse}) into its binary form at
     * {@code target[offset]}: trace ID (16 bytes), parent ID (8), flags (1). Read straight from the bytes, for the
     * per-record paths. Returns false, with {@code target} in an undefined state, when it is null or malformed.
     */
    public static boolean parseInto(byte[] value, byte[] target, int offset) {
        if (value == null) {
            return false;
        }
        int start = 0;
        int end = value.length;
        while (start < end && (value[start] & 0xFF) <= ' ') {
            start++;
        }
        while (end > start && (value[end - 1] & 0xFF) <= ' ') {
            end--;
        }
        // 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>
        if (end - start != HEADER_VALUE_LENGTH || value[start] != '0' || value[start + 1] != '0' || value[start + 2] != '-'
                || value[start + 35] != '-' || value[start + 52] != '-') {
            return false;
        }
        int traceBits = decodeHex(value, start + 3, target, offset, 16);
        int parentBits = decodeHex(value, start + 36, target, offset + 16, 8);
        int flagBits = decodeHex(value, start + 53, target, offset + 24, 1);
        // a bad digit makes its group negative; all-zero IDs are invalid too
        return traceBits > 0 && parentBits > 0 && flagBits >= 0;
    }

    /**
     * Decodes {@code count} bytes of hex digits at {@code value[from]} into {@code target[at]}; returns the OR of all
     * digit values (0 when all are zero), or a negative number when one is not a hex digit.
     */
    private static int decodeHex(byte[] value, int from, byte[] target, int at, int count) {
        int bits = 0;
        for (int i = 0; i < count; i++) {
            int high = HEX_VALUES[value[from + 2 * i] & 0xFF];
            int low = HEX_VALUES[value[from + 2 * i + 1] & 0xFF];
            target[at + i] = (byte) (high << 4 | low);
            bits |= high | low;
        }
        return bits;
    }

    /** The {@code traceparent} header value of a binary trace context at {@code binary[offset]}, lower-case hex. */
    public static byte[] headerValue(byte[] binary, int offset) {
        byte[] value = new byte[HEADER_VALUE_LENGTH];
        value[0] = '0';
        value[1] = '0';
        value[2] = '-';
        value[35] = '-';
        value[52] = '-';
        for (int i = 0; i < BINARY_LENGTH; i++) {
            int at = hexPosition(i);
            int b = binary[offset + i] & 0xFF;
            value[at] = HEX_DIGITS[b >>> 4];
            value[at + 1] = HEX_DIGITS[b & 0x0F];
        }
        return value;
    }

    /** Where the two hex digits of binary byte {@code i} stand in a {@code traceparent} value. */
    private static int hexPosition(int i) {
        return i < 16 ? 3 + 2 * i : i < 24 ? 36 + 2 * (i - 16) : 53;
    }

    /**
     * The trace context of a binary form at {@code binary[offset]}.
     *
     * @throws IllegalArgumentException when its trace or parent ID is all zeros
     */
    public static TraceContext fromBinary(byte[] binary, int offset) {
        String hex = new String(headerValue(binary, offset), StandardCharsets.US_ASCII);
        return new TraceContext(hex.substring(3, 35), hex.substring(36, 52), hex.substring(53, 55));
    }

    /** This context in binary form: trace ID (16 bytes), parent ID (8), flags (1). */
    public byte[] binary() {
        byte[] binary = new byte[BINARY_LENGTH];
        parseInto(toString().getBytes(StandardCharsets.US_ASCII), binary, 0);
        return binary;
    }

    private static boolean isLowerHex(String value, int length) {
        if (value.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** Replaces any {@code traceparent} header with this one. */
    public void writeTo(Headers headers) {
        headers.remove(HEADER);
        headers.add(HEADER, toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** The 16 bytes of the trace ID. */
    public byte[] traceIdBytes() {
        return HEX.parseHex(traceId);
    }

    public static String traceIdHex(byte[] traceId) {
        return HEX.formatHex(traceId);
    }

    /**
     * Random IDs from {@link ThreadLocalRandom}, as OpenTelemetry's own ID generator does: a trace ID
     * must be unique, not secret (it travels in clear in every record's header), and a {@code SecureRandom}
     * call per record cost more than the record's encryption.
     */
    private static String randomHex(int bytes, String zero) {
        byte[] random = new byte[bytes];
        String hex;
        do {
            ThreadLocalRandom.current().nextBytes(random);
            hex = HEX.formatHex(random);
        } while (hex.equals(zero));
        return hex;
    }

    /** The {@code traceparent} header value. */
    @Override
    public String toString() {
        return "00-" + traceId + "-" + parentId + "-" + flags;
    }
}
