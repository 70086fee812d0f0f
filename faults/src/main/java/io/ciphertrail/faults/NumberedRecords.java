package io.ciphertrail.faults;

import java.nio.charset.StandardCharsets;

/**
 * The records fault traffic is made of: the key is the record's number (left in clear, so that a record
 * can be counted wherever it lands, quarantine included), the value repeats it with the time it was sent
 * (encrypted by the secure producer), padded to a chosen size.
 */
public final class NumberedRecords {
    private NumberedRecords() {
    }

    public static String key(long number) {
        return Long.toString(number);
    }

    public static String value(long number, long sentAtMillis, int size) {
        StringBuilder value = new StringBuilder(Math.max(size, 32)).append(number).append(' ').append(sentAtMillis).append(' ');
        while (value.length() < size) {
            value.append('x');
        }
        return value.toString();
    }

    /** The number in a key, or -1 if the key is not one of these. */
    public static long number(String key) {
        if (key == null) {
            return -1;
        }
        try {
            return Long.parseLong(key);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public static long number(byte[] key) {
        return key == null ? -1 : number(new String(key, StandardCharsets.UTF_8));
    }

    /** When the record was sent (milliseconds since the epoch), read from a decrypted value. */
    public static long sentAt(String value) {
        int first = value.indexOf(' ');
        int second = value.indexOf(' ', first + 1);
        return Long.parseLong(value.substring(first + 1, second));
    }

    /** The number in a decrypted value: it must equal the key's, or the record was tampered with. */
    public static long numberInValue(String value) {
        return Long.parseLong(value.substring(0, value.indexOf(' ')));
    }
}
