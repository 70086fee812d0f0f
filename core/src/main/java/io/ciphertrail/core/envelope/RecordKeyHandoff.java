package io.ciphertrail.core.envelope;

import java.util.Optional;
import org.apache.kafka.common.header.Headers;

/**
 * Hands a record's key, as written on the wire, from the key (de)serializer to the value (de)serializer of
 * the same record, which needs it to make or check a delete's proof. Kafka's producer, consumer and Streams
 * call both on one thread, key first, with the same {@link Headers} object; a key offered with other
 * headers, or on another thread, is not this record's. Costs two field writes per record, no allocation.
 */
public final class RecordKeyHandoff {
    /** The record key as offered; {@code key} may be null (a record without a key). */
    public record Offered(byte[] key) {
    }

    private static final class Slot {
        Headers headers;
        byte[] key;
    }

    private static final ThreadLocal<Slot> SLOT = ThreadLocal.withInitial(Slot::new);

    private RecordKeyHandoff() {
    }

    /** Called by the key side for every record. */
    public static void offer(Headers headers, byte[] key) {
        Slot slot = SLOT.get();
        slot.headers = headers;
        slot.key = key;
    }

    /** The key offered for the record with these {@code headers}, if the key side offered one; forgets it. */
    public static Optional<Offered> take(Headers headers) {
        Slot slot = SLOT.get();
        if (headers == null || slot.headers != headers) {
            return Optional.empty();
        }
        Offered offered = new Offered(slot.key);
        slot.headers = null;
        slot.key = null;
        return Optional.of(offered);
    }
}
