package io.ciphertrail.core.envelope;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * What a topic's records are bound to: the topic and the KEK alias its values are wrapped under (from the alias
 * template or mappings, {@link KekAliases}). Envelopes and delete proofs of version 2 carry only a 4-byte fingerprint
 * of each, enough for a reader or the policy gate (which holds no keys) to tell {@code WRONG_TOPIC} and
 * {@code WRONG_KEK} apart from tampering, and bind the full names through the AES-GCM associated data, so a record
 * copied anywhere else fails its tag whatever the fingerprints say. Computed once per topic.
 */
public final class TopicBinding {
    /** Most bytes of a topic name (Kafka's own limit). */
    static final int MAX_TOPIC_LENGTH = 249;
    /** Most bytes of a KEK alias. */
    static final int MAX_ALIAS_LENGTH = 1024;

    private final String topic;
    private final String kekAlias;
    private final int topicFingerprint;
    private final int kekFingerprint;
    /** {@code u8 topic length, topic, u16 alias length, alias}: the end of every version 2 associated data. */
    private final byte[] associatedData;

    public TopicBinding(String topic, String kekAlias) {
        byte[] topicBytes = utf8(topic, MAX_TOPIC_LENGTH, "topic");
        byte[] aliasBytes = utf8(kekAlias, MAX_ALIAS_LENGTH, "KEK alias");
        this.topic = topic;
        this.kekAlias = kekAlias;
        this.topicFingerprint = fingerprint(topicBytes);
        this.kekFingerprint = fingerprint(aliasBytes);
        this.associatedData = new byte[1 + topicBytes.length + 2 + aliasBytes.length];
        associatedData[0] = (byte) topicBytes.length;
        System.arraycopy(topicBytes, 0, associatedData, 1, topicBytes.length);
        associatedData[1 + topicBytes.length] = (byte) (aliasBytes.length >>> 8);
        associatedData[2 + topicBytes.length] = (byte) aliasBytes.length;
        System.arraycopy(aliasBytes, 0, associatedData, 3 + topicBytes.length, aliasBytes.length);
    }

    public String topic() {
        return topic;
    }

    /** The KEK alias the topic's records are wrapped under. */
    public String kekAlias() {
        return kekAlias;
    }

    int topicFingerprint() {
        return topicFingerprint;
    }

    int kekFingerprint() {
        return kekFingerprint;
    }

    /** Not a copy. */
    byte[] associatedData() {
        return associatedData;
    }

    /** The first 4 bytes of SHA-256 of {@code name} (UTF-8), big-endian. */
    static int fingerprint(byte[] name) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(name);
            return (digest[0] & 0xFF) << 24 | (digest[1] & 0xFF) << 16 | (digest[2] & 0xFF) << 8 | (digest[3] & 0xFF);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** A fingerprint as 8 hex digits, for messages. */
    static String hex(int fingerprint) {
        return String.format("%08x", fingerprint);
    }

    static byte[] utf8(String value, int max, String field) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > max) {
            throw new IllegalArgumentException("The " + field + " must be 1 to " + max + " bytes of UTF-8, got " + bytes.length);
        }
        return bytes;
    }

    @Override
    public String toString() {
        return "TopicBinding[" + topic + ", " + kekAlias + "]";
    }
}
