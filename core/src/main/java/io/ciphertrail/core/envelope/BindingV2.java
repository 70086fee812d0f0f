package io.ciphertrail.core.envelope;

import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.trace.TraceContext;
import java.util.Arrays;
import java.util.Optional;

/**
 * The binding of envelopes and delete proofs of version 2: fingerprints of the topic and of the KEK alias (the full
 * names are bound through the associated data), the KEK version, the wrapped data key, then the whole trace context.
 * Read in place: it keeps offsets into the record's bytes and copies nothing.
 *
 * <pre>
 * topic fp    4   first 4 bytes of SHA-256 of the topic (UTF-8)
 * kek fp      4   first 4 bytes of SHA-256 of the KEK alias (UTF-8)
 * kek vers.   varint, 1 to 2^31-1 (1 to 5 bytes)
 * edek        varint length (1 to 1024), bytes
 * trace       25  if the trace flag is set: trace ID (16), parent ID (8), flags (1); neither ID all zeros
 * </pre>
 */
final class BindingV2 extends RecordBinding {
    static final int MAX_EDEK_LENGTH = 1024;

    private final byte[] data;
    private final int topicFingerprint;
    private final int kekFingerprint;
    private final int kekVersion;
    private final int edekOffset;
    private final int edekLength;
    /** Where the 25-byte trace context starts, or -1. */
    private final int traceOffset;

    private BindingV2(byte[] data, int topicFingerprint, int kekFingerprint, int kekVersion, int edekOffset, int edekLength,
                      int traceOffset) {
        this.data = data;
        this.topicFingerprint = topicFingerprint;
        this.kekFingerprint = kekFingerprint;
        this.kekVersion = kekVersion;
        this.edekOffset = edekOffset;
        this.edekLength = edekLength;
        this.traceOffset = traceOffset;
    }

    /** Reads a binding at the reader's position; the trace context only when {@code traced}. */
    static BindingV2 read(Envelope.Reader in, byte[] data, boolean traced) {
        int topicFingerprint = in.i32("topic fingerprint");
        int kekFingerprint = in.i32("KEK fingerprint");
        int kekVersion = (int) in.varint(5, Integer.MAX_VALUE, "KEK version");
        if (kekVersion < 1) {
            throw in.malformed("KEK version 0 is out of range");
        }
        int edekLength = (int) in.varint(2, MAX_EDEK_LENGTH, "wrapped data key length");
        if (edekLength == 0) {
            throw in.malformed("empty wrapped data key");
        }
        int edekOffset = in.position();
        in.skip(edekLength, "wrapped data key");
        int traceOffset = -1;
        if (traced) {
            traceOffset = in.position();
            in.skip(TraceContext.BINARY_LENGTH, "trace context");
            if (allZero(data, traceOffset, 16) || allZero(data, traceOffset + 16, 8)) {
                throw in.malformed("the bound trace context has an all-zero trace or parent ID");
            }
        }
        return new BindingV2(data, topicFingerprint, kekFingerprint, kekVersion, edekOffset, edekLength, traceOffset);
    }

    private static boolean allZero(byte[] data, int from, int length) {
        int bits = 0;
        for (int i = from; i < from + length; i++) {
            bits |= data[i];
        }
        return bits == 0;
    }

    /** The part fixed for one data key and topic, written by every envelope and proof under it. */
    static byte[] keySection(TopicBinding topic, Edek edek) {
        byte[] wrapped = edek.wrapped();
        if (wrapped.length == 0 || wrapped.length > MAX_EDEK_LENGTH) {
            throw new IllegalArgumentException("A wrapped data key has 1 to " + MAX_EDEK_LENGTH + " bytes, the KMS gave " + wrapped.length);
        }
        int version = edek.kek().version();
        byte[] section = new byte[8 + Varint.size(version) + Varint.size(wrapped.length) + wrapped.length];
        putInt(section, 0, topic.topicFingerprint());
        putInt(section, 4, topic.kekFingerprint());
        int at = Varint.write(section, 8, version);
        at = Varint.write(section, at, wrapped.length);
        System.arraycopy(wrapped, 0, section, at, wrapped.length);
        return section;
    }

    private static void putInt(byte[] target, int at, int value) {
        target[at] = (byte) (value >>> 24);
        target[at + 1] = (byte) (value >>> 16);
        target[at + 2] = (byte) (value >>> 8);
        target[at + 3] = (byte) value;
    }

    @Override
    public boolean boundTo(TopicBinding expected) {
        return topicFingerprint == expected.topicFingerprint();
    }

    @Override
    public String boundTopicDescription() {
        return "a topic with fingerprint " + TopicBinding.hex(topicFingerprint);
    }

    @Override
    public boolean wrappedUnder(TopicBinding expected) {
        return kekFingerprint == expected.kekFingerprint();
    }

    @Override
    public String kekDescription() {
        return "a KEK alias with fingerprint " + TopicBinding.hex(kekFingerprint);
    }

    @Override
    public int kekVersion() {
        return kekVersion;
    }

    @Override
    Edek edek(TopicBinding expected) {
        return new Edek(new KekRef(expected.kekAlias(), kekVersion), Arrays.copyOfRange(data, edekOffset, edekOffset + edekLength));
    }

    @Override
    javax.crypto.SecretKey cachedKey(DekCache cache, TopicBinding expected) {
        return cache.key(expected.kekAlias(), kekVersion, data, edekOffset, edekLength);
    }

    @Override
    public byte[] wrappedKey() {
        return Arrays.copyOfRange(data, edekOffset, edekOffset + edekLength);
    }

    @Override
    public Optional<String> boundTraceId() {
        return traceOffset < 0 ? Optional.empty() : Optional.of(TraceContext.traceIdHex(traceIdBytes()));
    }

    @Override
    public Optional<TraceContext> restoredTrace() {
        return traceOffset < 0 ? Optional.empty() : Optional.of(TraceContext.fromBinary(data, traceOffset));
    }

    @Override
    byte[] restoredTraceHeader() {
        return traceOffset < 0 ? null : TraceContext.headerValue(data, traceOffset);
    }

    @Override
    boolean traced() {
        return traceOffset >= 0;
    }

    @Override
    boolean traceIdIs(byte[] traceId) {
        return traceOffset >= 0 && Arrays.equals(data, traceOffset, traceOffset + 16, traceId, 0, 16);
    }

    @Override
    byte[] traceIdBytes() {
        return traceOffset < 0 ? null : Arrays.copyOfRange(data, traceOffset, traceOffset + 16);
    }

    @Override
    public String toString() {
        return "topic fingerprint=" + TopicBinding.hex(topicFingerprint) + ", kek fingerprint=" + TopicBinding.hex(kekFingerprint)
                + " v" + kekVersion + boundTraceId().map(t -> ", trace=" + t).orElse("");
    }
}
