package io.ciphertrail.core.envelope;

/**
 * Unsigned LEB128 varints, as in Protocol Buffers: seven bits per byte, least significant group first, the high bit
 * set on every byte but the last. Written in the fewest bytes; a reader refuses any other encoding
 * ({@link Envelope.Reader#varint}), so every value has exactly one form on the wire.
 */
final class Varint {
    private Varint() {
    }

    /** Bytes {@code value} (not negative) takes. */
    static int size(long value) {
        int size = 1;
        while ((value >>>= 7) != 0) {
            size++;
        }
        return size;
    }

    /** Writes {@code value} (not negative) at {@code target[at]}; returns the position after it. */
    static int write(byte[] target, int at, long value) {
        while ((value & ~0x7FL) != 0) {
            target[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        target[at++] = (byte) value;
        return at;
    }
}
