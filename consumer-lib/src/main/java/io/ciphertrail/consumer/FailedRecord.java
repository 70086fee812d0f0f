package io.ciphertrail.consumer;

import java.util.Optional;
import org.apache.kafka.clients.consumer.AcknowledgeType;

/**
 * A record a {@link SecureShareConsumer} did not hand to the application, because it could not be
 * decrypted, verified or deserialized, and what the consumer did with it. Holds positions and codes,
 * never record content, so it can be logged and shown as it is.
 *
 * @param deliveryCount how many times the share group has delivered the record, this delivery included
 * @param reason        the reason code ({@link RecordDecryptionException#reason()})
 * @param detail        what was found and what to do (never record content)
 * @param traceId       the record's trace ID, from its {@code traceparent} header or its envelope, if it has one
 */
public record FailedRecord(String topic, int partition, long offset, int deliveryCount, String reason, String detail,
                           Optional<String> traceId, Outcome outcome) {

    /** What the consumer did with the record, and so how it acknowledged it. */
    public enum Outcome {
        /** Acknowledged as REJECT: the broker archives it; no member of the group receives it again. */
        REJECTED(AcknowledgeType.REJECT, "rejected: no member of the group receives it again; it stays readable at its offset"),
        /** Acknowledged as RELEASE: available for another delivery, until the group's delivery count limit. */
        RELEASED(AcknowledgeType.RELEASE, "released for another delivery"),
        /** Written, untouched, to the dead-letter topic; acknowledged as ACCEPT once that write was acknowledged. */
        DEAD_LETTERED(AcknowledgeType.ACCEPT, "written to the dead-letter topic, then acknowledged");

        private final AcknowledgeType acknowledgeType;
        private final String description;

        Outcome(AcknowledgeType acknowledgeType, String description) {
            this.acknowledgeType = acknowledgeType;
            this.description = description;
        }

        public AcknowledgeType acknowledgeType() {
            return acknowledgeType;
        }
    }

    /** One line: where, which delivery, what happened and why. */
    @Override
    public String toString() {
        return "Record " + topic + "-" + partition + "@" + offset + " (delivery " + deliveryCount
                + traceId.map(id -> ", trace " + id).orElse("") + ") " + outcome.description + ": " + detail;
    }
}
