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
        byte[][] protectedNameBytes = null;
        int headerLength = 4 + keySection.length + (traceId != null ? traceId.length : 0) + iv.length;
        if (!protectedNames.isEmpty()) {
            if (protectedNames.size() > 255) {
                throw new IllegalArgumentException("At most 255 protected headers, got " + protectedNames.size());
            }
            protectedNameBytes = new byte[protectedNames.size()][];
            headerLength += 1 + digest.length;
            for (int i = 0; i < protectedNameBytes.length; i++) {
                protectedNameBytes[i] = utf8(protectedNames.get(i), Envelope.MAX_NAME_LENGTH, "protected header name");
                headerLength += 2 + protectedNameBytes[i].length;
            }
        }
        byte[] headerNameBytes = null;
        if (headerName != null) {
            headerNameBytes = utf8(headerName, Envelope.MAX_NAME_LENGTH, "header name");
            headerLength += 2 + headerNameBytes.length;
        }

        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(Envelope.TAG_LENGTH * 8, iv));
        // The header is written straight into the envelope and authenticated from there: no intermediate copies.
        byte[] envelope = new byte[headerLength + cipher.getOutputSize(plaintext.length)];
        int at = 0;
        envelope[at++] = Envelope.MAGIC_0;
        envelope[at++] = Envelope.MAGIC_1;
        envelope[at++] = Envelope.VERSION;
        envelope[at++] = (byte) flags;
        at = put(envelope, at, keySection);
        if (traceId != null) {
            at = put(envelope, at, traceId);
        }
        if (protectedNameBytes != null) {
            envelope[at++] = (byte) protectedNameBytes.length;
            for (byte[] name : protectedNameBytes) {
                at = putWithLength(envelope, at, name);
            }
            at = put(envelope, at, digest);
        }
        if (headerNameBytes != null) {
            at = putWithLength(envelope, at, headerNameBytes);
        }
        at = put(envelope, at, iv);
        cipher.updateAAD(envelope, 0, at);
        cipher.doFinal(plaintext, 0, plaintext.length, envelope, at);
        return envelope;
    }

    private static int put(byte[] target, int at, byte[] bytes) {
        System.arraycopy(bytes, 0, target, at, bytes.length);
        return at + bytes.length;
    }

    private static int putWithLength(byte[] target, int at, byte[] bytes) {
        target[at] = (byte) (bytes.length >>> 8);
        target[at + 1] = (byte) bytes.length;
        return put(target, at + 2, bytes);
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
