package io.ciphertrail.policy.quarantine;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a quarantine record that stands for a record too large to copy says about the original, which stays
 * readable in its ingress topic until retention: enough to find it and to prove that what is found there is it.
 *
 * @param recordBytes the original's size in a batch of its own (key, value and headers)
 * @param valueBytes  its value's length (-1 for a null value)
 * @param valueSha256 SHA-256 of its value, hex ("" for a null value)
 * @param keySha256   SHA-256 of its key, hex ("" for a null key)
 */
public record OriginalReference(long recordBytes, long valueBytes, String valueSha256, String keySha256) {

    static OriginalReference of(long recordBytes, byte[] key, byte[] value) {
        return new OriginalReference(recordBytes, value == null ? -1 : value.length, sha256(value), sha256(key));
    }

    /** True when {@code key} and {@code value} are the original's. */
    public boolean matches(byte[] key, byte[] value) {
        return valueBytes == (value == null ? -1 : value.length) && valueSha256.equals(sha256(value)) && keySha256.equals(sha256(key));
    }

    static String sha256(byte[] bytes) {
        if (bytes == null) {
            return "";
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
