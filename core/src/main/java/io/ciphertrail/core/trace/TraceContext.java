package io.ciphertrail.core.trace;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
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
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    public TraceContext {
        Objects.requireNonNull(traceId, "traceId");
        Objects.requireNonNull(parentId, "parentId");
        Objects.requireNonNull(flags, "flags");
        if (!TRACEPARENT.matcher("00-" + traceId + "-" + parentId + "-" + flags).matches()
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

    private static String randomHex(int bytes, String zero) {
        byte[] random = new byte[bytes];
        String hex;
        do {
            RANDOM.nextBytes(random);
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
