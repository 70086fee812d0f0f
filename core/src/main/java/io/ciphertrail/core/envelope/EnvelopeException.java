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
        TRACE_MISMATCH("the traceparent header does not match the trace the record was encrypted with; it was edited"),
        PROTECTED_HEADER_MISMATCH("a protected header was edited, added or removed after encryption"),
        TAMPERED("the ciphertext or its data key does not verify; the record was altered"),
        UNKNOWN_KEK("the key encryption key it names does not exist in this KMS; check ciphertrail.kms.* settings"),
        KEK_DESTROYED("its key encryption key was destroyed; the record can never be decrypted (crypto-shredded)"),
        KEK_NOT_USABLE("its key encryption key may not wrap or unwrap data keys"),
        KMS_ACCESS_DENIED("the KMS refused this identity the use of the key encryption key"),
        KMS_UNAVAILABLE("the KMS did not answer in time; retry, and check that it is reachable");

        private final String explanation;

        Reason(String explanation) {
            this.explanation = explanation;
        }

        public String explanation() {
            return explanation;
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
