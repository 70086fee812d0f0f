package io.ciphertrail.core.envelope;

import io.ciphertrail.core.kms.Edek;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/** Builds version 1 envelopes (layout in {@link Envelope}). */
final class EnvelopeWriter {
    private EnvelopeWriter() {
    }

    /** The part of the header fixed for one data key and topic: topic, KEK alias and version, wrapped key. */
    static byte[] keySection(String topic, Edek edek) {
        byte[] topicBytes = utf8(topic, Envelope.MAX_TOPIC_LENGTH, "topic");
        byte[] aliasBytes = utf8(edek.kek().alias(), Envelope.MAX_NAME_LENGTH, "KEK alias");
        byte[] wrapped = edek.wrapped();
        ByteArrayOutputStream out = new ByteArrayOutputStream(12 + topicBytes.length + aliasBytes.length + wrapped.length);
        u16(out, topicBytes.length);
        out.writeBytes(topicBytes);
        u16(out, aliasBytes.length);
        out.writeBytes(aliasBytes);
        int version = edek.kek().version();
        out.write(version >>> 24);
        out.write(version >>> 16);
        out.write(version >>> 8);
        out.write(version);
        u16(out, wrapped.length);
        out.writeBytes(wrapped);
        return out.toByteArray();
    }

    /**
     * Encrypts {@code plaintext} into a complete envelope.
     *
     * @param traceId          16 bytes, or null when no trace is bound
     * @param protectedNames   names of protected headers (empty for none) and their {@code digest}
     * @param headerName       for an encrypted header value, the header's name; otherwise null
     */
    static byte[] seal(Cipher cipher, SecretKey key, byte[] keySection, byte[] traceId, List<String> protectedNames,
                       byte[] digest, String headerName, byte[] iv, byte[] plaintext) throws GeneralSecurityException {
        int flags = (traceId != null ? Envelope.FLAG_TRACE : 0)
                | (!protectedNames.isEmpty() ? Envelope.FLAG_PROTECTED : 0)
                | (headerName != null ? Envelope.FLAG_HEADER_VALUE : 0);
        ByteArrayOutputStream header = new ByteArrayOutputStream(64 + keySection.length);
        header.write(Envelope.MAGIC_0);
        header.write(Envelope.MAGIC_1);
        header.write(Envelope.VERSION);
        header.write(flags);
        header.writeBytes(keySection);
        if (traceId != null) {
            header.writeBytes(traceId);
        }
        if (!protectedNames.isEmpty()) {
            if (protectedNames.size() > 255) {
                throw new IllegalArgumentException("At most 255 protected headers, got " + protectedNames.size());
            }
            header.write(protectedNames.size());
            for (String name : protectedNames) {
                byte[] nameBytes = utf8(name, Envelope.MAX_NAME_LENGTH, "protected header name");
                u16(header, nameBytes.length);
                header.writeBytes(nameBytes);
            }
            header.writeBytes(digest);
        }
        if (headerName != null) {
            byte[] nameBytes = utf8(headerName, Envelope.MAX_NAME_LENGTH, "header name");
            u16(header, nameBytes.length);
            header.writeBytes(nameBytes);
        }
        header.writeBytes(iv);
        byte[] aad = header.toByteArray();

        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(Envelope.TAG_LENGTH * 8, iv));
        cipher.updateAAD(aad);
        byte[] envelope = new byte[aad.length + cipher.getOutputSize(plaintext.length)];
        System.arraycopy(aad, 0, envelope, 0, aad.length);
        cipher.doFinal(plaintext, 0, plaintext.length, envelope, aad.length);
        return envelope;
    }

    private static byte[] utf8(String value, int max, String field) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > max) {
            throw new IllegalArgumentException("The " + field + " must be 1 to " + max + " bytes of UTF-8, got " + bytes.length);
        }
        return bytes;
    }

    private static void u16(ByteArrayOutputStream out, int value) {
        out.write(value >>> 8);
        out.write(value);
    }
}
