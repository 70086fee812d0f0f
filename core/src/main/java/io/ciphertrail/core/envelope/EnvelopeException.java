package io.ciphertrail.core.envelope;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record that cannot be encrypted or decrypted, with the reason and where the record is. Extends
 * Kafka's {@link SerializationException} so it travels through Kafka clients as their own
 * serialization errors do. The message names topic, partition and offset when known, says what to
 * do, and never contains key material or record content.
 */
public class EnvelopeException extends SerializationException {
    private static final long serialVersionUID = 1L;

    /** Why a record failed; stable codes for metrics, dead-letter headers and alerts. */
    public enum Reason {
        NOT_ENCRYPTED("the record is not a Ciphertrail envelope; it was written without encryption (set"
                + " ciphertrail.envelope.unencrypted.records=PASSTHROUGH only while migrating)"),
        MALFORMED("the envelope is damaged or truncated"),
        UNSUPPORTED_VERSION("the envelope was written by a newer Ciphertrail; upgrade this client"),
        WRONG_TOPIC("the record was encrypted for another topic; it was copied or routed where it does not belong"),
        WRONG_KEK("the record's data key is wrapped under a KEK other than the one this topic's alias template"
                + " (ciphertrail.envelope.kek.alias.template, .mappings) names: a writer holding another topic's key made it"),
        TRACE_MISMATCH("the traceparent header does not match the trace the record was encrypted with; it was edited"),
        PROTECTED_HEADER_MISMATCH("a protected header was edited, added or removed after encryption"),
        UNAUTHENTICATED_DELETE("a delete (null value) without a valid delete proof for its topic and key; any writer of"
                + " the topic could have sent it. Send deletes through Ciphertrail's producer or serializers, or accept plain"
                + " deletes for the topic while migrating (ciphertrail.envelope.plain.deletes.topics)"),
        TAMPERED("the ciphertext or its data key does not verify; the record was altered"),
        UNKNOWN_KEK("the key encryption key it names does not exist in this KMS; check ciphertrail.kms.* settings"),
        KEK_MISMATCH("the KMS holds another key under this KEK alias and version than the one that wrapped the record's"
                + " data key: the key store (or token) was replaced. Restore the original store; the record is intact"),
        KEK_DESTROYED("its key encryption key was destroyed; the record can never be decrypted (crypto-shredded)"),
        KEK_NOT_USABLE("its key encryption key may not wrap or unwrap data keys", true),
        KMS_ACCESS_DENIED("the KMS refused this identity the use of the key encryption key", true),
        KMS_UNAVAILABLE("the KMS did not answer in time; retry, and check that it is reachable", true);

        private final String explanation;
        private final boolean retriable;

        Reason(String explanation) {
            this(explanation, false);
        }

        Reason(String explanation, boolean retriable) {
            this.explanation = explanation;
            this.retriable = retriable;
        }

        public String explanation() {
            return explanation;
        }

        /**
         * True when the same record may succeed later without being changed: the KMS was out of reach or
         * refused this client, which says nothing about the record. Such a record is retried, never set aside.
         * Everything else is a property of the record (or of keys that will not come back) and is permanent.
         */
        public boolean retriable() {
            return retriable;
        }
    }

    private final Reason reason;
    private final String topic;
    private final int partition;
    private final long offset;
    private final String detail;

    public EnvelopeException(Reason reason, String topic, String detail) {
        this(reason, topic, -1, -1, detail, null);
    }

    public EnvelopeException(Reason reason, String topic, String detail, Throwable cause) {
        this(reason, topic, -1, -1, detail, cause);
    }

    private EnvelopeException(Reason reason, String topic, int partition, long offset, String detail, Throwable cause) {
        super(message(reason, topic, partition, offset, detail), cause);
        this.reason = reason;
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.detail = detail;
    }

    /** The same failure, located at a partition and offset (known to consumers, not to deserializers). */
    public EnvelopeException at(int partition, long offset) {
        EnvelopeException located = new EnvelopeException(reason, topic, partition, offset, detail, getCause());
        located.setStackTrace(getStackTrace());
        return located;
    }

    public Reason reason() {
        return reason;
    }

    public String topic() {
        return topic;
    }

    /** The partition, or -1 when unknown. */
    public int partition() {
        return partition;
    }

    /** The offset, or -1 when unknown. */
    public long offset() {
        return offset;
    }

    /** What exactly was found, without the general explanation. */
    public String detail() {
        return detail;
    }

    private static String message(Reason reason, String topic, int partition, long offset, String detail) {
        StringBuilder message = new StringBuilder(reason.name()).append(": record on topic '").append(topic).append('\'');
        if (partition >= 0) {
            message.append(" partition ").append(partition);
        }
        if (offset >= 0) {
            message.append(" offset ").append(offset);
        }
        message.append(": ").append(reason.explanation());
        if (detail != null && !detail.isEmpty()) {
            message.append(" (").append(detail).append(')');
        }
        return message.toString();
    }
}
