package io.ciphertrail.core.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The hand-written checks used per record must agree with the traceparent pattern everywhere. */
class TraceIdBytesTest {
    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void agreesWithTheParserOnKnownCases() {
        for (String value : List.of(VALID, " " + VALID + "\t", VALID.toUpperCase(), VALID + "x", VALID.substring(1),
                "01" + VALID.substring(2), "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
                "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", "   ")) {
            assertAgrees(value.getBytes(StandardCharsets.ISO_8859_1));
        }
        assertThat(TraceContext.traceIdBytes((byte[]) null)).isNull();
        assertThat(TraceContext.traceIdBytes(new RecordHeaders())).isNull();
    }

    @Test
    void agreesWithTheParserOnMutations() {
        Random random = new Random(42);
        byte[] alphabet = "0123456789abcdefABCDEFgG- \t\u0000".getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 50_000; i++) {
            byte[] value = (random.nextInt(4) == 0 ? " " + VALID : VALID).getBytes(StandardCharsets.ISO_8859_1);
            int edits = 1 + random.nextInt(3);
            for (int e = 0; e < edits; e++) {
                value[random.nextInt(value.length)] = random.nextInt(10) == 0 ? (byte) (0x80 + random.nextInt(0x80))
                        : alphabet[random.nextInt(alphabet.length)];
            }
            assertAgrees(value);
        }
    }

    @Test
    void constructorAcceptsExactlyWhatThePatternAccepts() {
        java.util.regex.Pattern pattern = java.util.regex.Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
        Random random = new Random(7);
        String alphabet = "0123456789abcdefABg-";
        String[] base = {"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01"};
        for (int i = 0; i < 50_000; i++) {
            String[] parts = base.clone();
            int which = random.nextInt(3);
            StringBuilder part = new StringBuilder(parts[which]);
            switch (random.nextInt(3)) {
                case 0 -> part.setCharAt(random.nextInt(part.length()), alphabet.charAt(random.nextInt(alphabet.length())));
                case 1 -> part.deleteCharAt(random.nextInt(part.length()));
                default -> part.insert(random.nextInt(part.length() + 1), alphabet.charAt(random.nextInt(alphabet.length())));
            }
            parts[which] = random.nextInt(20) == 0 ? "0".repeat(parts[which].length()) : part.toString();
            boolean expected = pattern.matcher("00-" + parts[0] + "-" + parts[1] + "-" + parts[2]).matches()
                    && !parts[0].equals("0".repeat(32)) && !parts[1].equals("0".repeat(16));
            boolean accepted;
            try {
                new TraceContext(parts[0], parts[1], parts[2]);
                accepted = true;
            } catch (IllegalArgumentException e) {
                accepted = false;
            }
            assertThat(accepted).as(String.join("|", parts)).isEqualTo(expected);
        }
    }

    private static void assertAgrees(byte[] value) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(TraceContext.HEADER, value);
        byte[] expected = TraceContext.fromHeaders(headers).map(TraceContext::traceIdBytes).orElse(null);
        assertThat(TraceContext.traceIdBytes(headers)).as(new String(value, StandardCharsets.ISO_8859_1)).isEqualTo(expected);
    }
}
