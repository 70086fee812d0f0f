package io.ciphertrail.consumer;

import io.ciphertrail.core.envelope.EnvelopeException;
import java.nio.ByteBuffer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;

/**
 * A record the consumer cannot hand over: not encrypted, tampered, its key unknown or destroyed, or its
 * bytes not readable by the inner deserializer. Thrown by {@code poll} under the FAIL policy; the
 * consumer's position stays on the record, so nothing is skipped. Kafka's own
 * {@link RecordDeserializationException}, so existing handling of poison records applies.
 */
public class RecordDecryptionException extends RecordDeserializationException {
    private static final long serialVersionUID = 1L;

    /** The reason code used in metrics and dead-letter headers for a failure of the inner deserializer. */
    public static final String DESERIALIZATION_FAILED = "DESERIALIZATION_FAILED";

    private final String reason;
    private final boolean retriable;

    RecordDecryptionException(ConsumerRecord<byte[], byte[]> record, String reason, boolean retriable, String message, Throwable cause) {
        super(DeserializationExceptionOrigin.VALUE, new TopicPartition(record.topic(), record.partition()), record.offset(),
                record.timestamp(), record.timestampType(), buffer(record.key()), buffer(record.value()), record.headers(),
                message, cause);
        this.reason = reason;
        this.retriable = retriable;
    }

    /** {@link EnvelopeException.Reason} name, or {@link #DESERIALIZATION_FAILED}. */
    public String reason() {
        return reason;
    }

    /**
     * True when the record itself is not at fault (the KMS was unreachable or refused this client), so reading
     * it again later may succeed. {@link SecureConsumer} stays on it and the next poll tries it again, under
     * every failure policy, and never dead-letters it; {@link SecureShareConsumer} releases it for another
     * delivery until the group's last.
     */
    public boolean retriable() {
        return retriable;
    }

    /**
     * Locates {@code failure} at the record. A failure of the inner deserializer is named by its type
     * only: its message could quote decrypted content.
     */
    static RecordDecryptionException of(ConsumerRecord<byte[], byte[]> record, RuntimeException failure) {
        return of(record, failure, "");
    }

    /** As {@link #of(ConsumerRecord, RuntimeException)}, with {@code retryNote} (what the consumer does about it) after a retriable failure's message. */
    static RecordDecryptionException of(ConsumerRecord<byte[], byte[]> record, RuntimeException failure, String retryNote) {
        if (failure instanceof EnvelopeException envelope) {
            EnvelopeException located = envelope.at(record.partition(), record.offset());
            boolean retriable = envelope.reason().retriable();
            return new RecordDecryptionException(record, envelope.reason().name(), retriable,
                    located.getMessage() + (retriable ? retryNote : ""), located);
        }
        return new RecordDecryptionException(record, DESERIALIZATION_FAILED, false, DESERIALIZATION_FAILED + ": record on topic '"
                + record.topic() + "' partition " + record.partition() + " offset " + record.offset()
                + ": the decrypted bytes cannot be read by the configured deserializer (" + failure.getClass().getSimpleName()
                + "); check that producer and consumer agree on the data format", null);
    }

    private static ByteBuffer buffer(byte[] bytes) {
        return bytes == null ? null : ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }
}
