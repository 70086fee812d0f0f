package io.ciphertrail.core.envelope;

import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.trace.TraceContext;
import java.util.Optional;

/**
 * What a record's envelope or delete proof binds and shows in clear, readable without a key: the topic it was made
 * for, the KEK version that wrapped its data key, the wrapped data key itself and the trace. Readers and the policy
 * gate check it against what the topic expects ({@link TopicBinding}) before any key is used. Each wire version has
 * its own layout ({@link BindingV1}: names in full; {@link BindingV2}: fingerprints, the full names bound through the
 * associated data).
 */
public abstract sealed class RecordBinding permits BindingV1, BindingV2 {

    /** True when this was made for {@code topic}'s topic. */
    public abstract boolean boundTo(TopicBinding topic);

    /** The topic this was made for, as far as it tells, for messages. */
    public abstract String boundTopicDescription();

    /** True when its data key is wrapped under the KEK alias {@code topic} expects. */
    public abstract boolean wrappedUnder(TopicBinding topic);

    /** The KEK alias its data key is wrapped under, as far as it tells, for messages. */
    public abstract String kekDescription();

    /** The version of the KEK that wrapped the data key. */
    public abstract int kekVersion();

    /** The wrapped data key as the KMS unwraps it: under {@code topic}'s KEK alias, which the caller checked. */
    abstract Edek edek(TopicBinding topic);

    /** The data key if {@code cache} holds it, looked up without copying: the per-record path. */
    abstract javax.crypto.SecretKey cachedKey(DekCache cache, TopicBinding topic);

    /** A copy of the wrapped data key's bytes. */
    public abstract byte[] wrappedKey();

    /** The trace ID (32 hex digits) bound, if one is. */
    public abstract Optional<String> boundTraceId();

    /**
     * The trace context a reader gives the record when its {@code traceparent} header is missing: version 2 binds the
     * whole context (trace ID, parent ID, flags) and gives it back as written; version 1 binds only the trace ID, so
     * the context has a new parent (span) ID and the sampled flag.
     */
    public abstract Optional<TraceContext> restoredTrace();

    /** The {@code traceparent} header value of {@link #restoredTrace()}, or null when no trace is bound. */
    byte[] restoredTraceHeader() {
        return restoredTrace().map(t -> t.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII)).orElse(null);
    }

    /** True when a trace is bound. */
    abstract boolean traced();

    /** True when a trace is bound and its 16-byte trace ID is the first 16 bytes of {@code traceId}. */
    abstract boolean traceIdIs(byte[] traceId);

    /** The bound trace ID's 16 bytes, or null. */
    abstract byte[] traceIdBytes();
}
