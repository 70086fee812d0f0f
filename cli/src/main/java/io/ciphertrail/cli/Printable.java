package io.ciphertrail.cli;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Record content made safe for a terminal: a quarantined record is whatever a producer sent, and escape sequences
 * in it could rewrite the screen, hide lines or retitle the window. UTF-8 text comes out with every control and
 * invisible formatting character escaped; anything else as hex.
 */
final class Printable {
    private Printable() {
    }

    static String of(byte[] value) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return "(not UTF-8 text; " + value.length + " bytes in hex) " + HexFormat.of().formatHex(value);
        }
        return escape(text);
    }

    /** Backslash escapes for controls (C0, DEL, C1), line and paragraph separators and format characters (bidi overrides). */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case 0x1b -> out.append("\\e");
                default -> {
                    int type = Character.getType(c);
                    if (c < 0x100 && type == Character.CONTROL) {
                        out.append(String.format("\\x%02x", c));
                    } else if (type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                            || type == Character.PARAGRAPH_SEPARATOR || type == Character.PRIVATE_USE || type == Character.UNASSIGNED) {
                        out.append(String.format("\\u%04x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.toString();
    }
}
