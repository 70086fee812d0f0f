package io.ciphertrail.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Standard input as records, one per line, exactly as given: a line ends at {@code \n} (a {@code \r} right before it
 * goes with the line break, so files from Windows work); a lone {@code \r} is part of the line. How a line becomes
 * bytes is its {@link Format}: text must be valid UTF-8, and anything else is an error naming the line, never a
 * silent replacement character.
 */
final class InputLines {
    /** How each line of input is turned into a record's bytes. */
    enum Format {
        /** UTF-8 text, sent as is; invalid bytes are an error. */
        TEXT,
        /** Standard Base64 (RFC 4648), each line one value. */
        BASE64,
        /** Hexadecimal digits, two per byte. */
        HEX;

        byte[] decode(byte[] line, long number) {
            try {
                return switch (this) {
                    case TEXT -> {
                        utf8(line, number);
                        yield line;
                    }
                    case BASE64 -> Base64.getDecoder().decode(line);
                    case HEX -> HexFormat.of().parseHex(new String(line, StandardCharsets.US_ASCII).strip());
                };
            } catch (IllegalArgumentException e) {
                throw new BadLine(number, "is not " + (this == BASE64 ? "Base64" : "hex") + " (" + e.getMessage() + ")");
            }
        }
    }

    /** A line that cannot be sent as the format says; names the line (1-based). */
    static final class BadLine extends RuntimeException {
        final long line;

        BadLine(long line, String problem) {
            super("line " + line + " " + problem);
            this.line = line;
        }
    }

    private static final int MAX_LINE = 64 * 1024 * 1024;

    private final InputStream in;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    private long number;

    InputLines(InputStream in) {
        this.in = in;
    }

    /** The next line without its line break, or null at the end of input. */
    byte[] next() {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean any = false;
        while (true) {
            if (position == limit && !fill()) {
                if (!any) {
                    return null;
                }
                number++;
                return line.toByteArray();
            }
            any = true;
            int start = position;
            while (position < limit && buffer[position] != '\n') {
                position++;
            }
            line.write(buffer, start, position - start);
            if (line.size() > MAX_LINE) {
                throw new BadLine(number + 1, "is longer than " + MAX_LINE / (1024 * 1024) + " MiB");
            }
            if (position < limit) {
                position++;
                number++;
                byte[] bytes = line.toByteArray();
                return bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? Arrays.copyOf(bytes, bytes.length - 1) : bytes;
            }
        }
    }

    /** The number of the line {@link #next} returned last (1-based). */
    long number() {
        return number;
    }

    private boolean fill() {
        try {
            limit = in.read(buffer);
            position = 0;
            if (limit < 0) {
                limit = 0;
                return false;
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read standard input: " + e.getMessage(), e);
        }
    }

    /** Throws naming the line and the first invalid byte unless {@code bytes} is valid UTF-8. */
    static void utf8(byte[] bytes, long number) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CoderResult result = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in, CharBuffer.allocate(bytes.length), true);
        if (result.isError()) {
            throw new BadLine(number, "is not UTF-8 text (byte " + (in.position() + 1) + " is 0x"
                    + HexFormat.of().toHexDigits(bytes[in.position()]) + "); for binary values use --format base64 or --format hex");
        }
    }
}
