package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.trace.TraceContext;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Optional;

/**
 * The binding of envelopes and delete proofs of version 1: topic, KEK alias and version and wrapped data key in full,
 * then the trace ID.
 *
 * <pre>
 * topic       2+n u16 length, UTF-8 (1 to 249 bytes)
 * kek alias   2+n u16 length, UTF-8 (1 to 1024 bytes)
 * kek vers.   4   u32, 1 to 2^31-1
 * edek        2+n u16 length, bytes (1 to 1024)
 * trace id    16  if the trace flag is set
 * </pre>
 */
final class BindingV1 extends RecordBinding {
    static final int TRACE_ID_LENGTH = 16;
    static final int MAX_EDEK_LENGTH = 1024;

    private final String topic;
    private final KekRef kek;
    private final byte[] wrapped;
    private final byte[] traceId;

    private BindingV1(String topic, KekRef kek, byte[] wrapped, byte[] traceId) {
        this.topic = topic;
        this.kek = kek;
        this.wrapped = wrapped;
        this.traceId = traceId;
    }

    /** Reads a binding at the reader's position; the trace ID only when {@code traced}. */
    static BindingV1 read(Envelope.Reader in, boolean traced) {
        String topic = in.string(TopicBinding.MAX_TOPIC_LENGTH, "topic");
        String alias = in.string(TopicBinding.MAX_ALIAS_LENGTH, "KEK alias");
        long kekVersion = in.u32();
        if (kekVersion < 1 || kekVersion > Integer.MAX_VALUE) {
            throw in.malformed("KEK version " + kekVersion + " is out of range");
        }
        byte[] wrapped = in.bytes(in.u16(), MAX_EDEK_LENGTH, "wrapped data key");
        if (wrapped.length == 0) {
            throw in.malformed("empty wrapped data key");
        }
        byte[] traceId = traced ? in.bytes(TRACE_ID_LENGTH, TRACE_ID_LENGTH, "trace id") : null;
        return new BindingV1(topic, new KekRef(alias, (int) kekVersion), wrapped, traceId);
    }

    /** The part fixed for one data key and topic, written by every envelope and proof under it: topic, KEK, wrapped key. */
    static byte[] keySection(String topic, Edek edek) {
        byte[] topicBytes = TopicBinding.utf8(topic, TopicBinding.MAX_TOPIC_LENGTH, "topic");
        byte[] aliasBytes = TopicBinding.utf8(edek.kek().alias(), TopicBinding.MAX_ALIAS_LENGTH, "KEK alias");
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

    private static void u16(ByteArrayOutputStream out, int value) {
        out.write(value >>> 8);
        out.write(value);
    }

    /** Version 1 names the topic. */
    String topic() {
        return topic;
    }

    KekRef kek() {
        return kek;
    }

    @Override
    public boolean boundTo(TopicBinding expected) {
        return topic.equals(expected.topic());
    }

    @Override
    public String boundTopicDescription() {
        return "topic '" + topic + "'";
    }

    @Override
    public boolean wrappedUnder(TopicBinding expected) {
        return kek.alias().equals(expected.kekAlias());
    }

    @Override
    public String kekDescription() {
        return "KEK alias '" + kek.alias() + "'";
    }

    @Override
    public int kekVersion() {
        return kek.version();
    }

    @Override
    Edek edek(TopicBinding expected) {
        return new Edek(kek, wrapped);
    }

    @Override
    javax.crypto.SecretKey cachedKey(DekCache cache, TopicBinding expected) {
        return cache.key(kek.alias(), kek.version(), wrapped, 0, wrapped.length);
    }

    @Override
    public byte[] wrappedKey() {
        return wrapped.clone();
    }

    @Override
    public Optional<String> boundTraceId() {
        return traceId == null ? Optional.empty() : Optional.of(TraceContext.traceIdHex(traceId));
    }

    @Override
    public Optional<TraceContext> restoredTrace() {
        return boundTraceId().map(id -> new TraceContext(id, TraceContext.newTrace().parentId(), "01"));
    }

    @Override
    boolean traced() {
        return traceId != null;
    }

    @Override
    boolean traceIdIs(byte[] other) {
        return traceId != null && Arrays.equals(traceId, 0, TRACE_ID_LENGTH, other, 0, TRACE_ID_LENGTH);
    }

    @Override
    byte[] traceIdBytes() {
        return traceId;
    }

    @Override
    public String toString() {
        return "topic=" + topic + ", kek=" + kek + boundTraceId().map(t -> ", trace=" + t).orElse("");
    }
}
