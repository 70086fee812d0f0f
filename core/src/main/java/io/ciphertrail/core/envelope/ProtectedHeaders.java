package io.ciphertrail.core.envelope;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The canonical digest of protected headers: for each protected name in envelope order,
 * {@code u16 name length, name, u32 count}, then for each header of that name in record order
 * {@code i32 value length (-1 for null), value}; SHA-256 over all of it. Adding, removing, reordering
 * (within a name) or editing any protected header changes the digest.
 */
final class ProtectedHeaders {
    private ProtectedHeaders() {
    }

    static byte[] digest(List<String> names, Headers headers) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        ByteBuffer number = ByteBuffer.allocate(4);
        for (String name : names) {
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            sha256.update((byte) (nameBytes.length >>> 8));
            sha256.update((byte) nameBytes.length);
            sha256.update(nameBytes);
            int count = 0;
            if (headers != null) {
                for (Header ignored : headers.headers(name)) {
                    count++;
                }
            }
            sha256.update(number.clear().putInt(count).array());
            if (headers != null) {
                for (Header header : headers.headers(name)) {
                    byte[] value = header.value();
                    sha256.update(number.clear().putInt(value == null ? -1 : value.length).array());
                    if (value != null) {
                        sha256.update(value);
                    }
                }
            }
        }
        return sha256.digest();
    }
}
