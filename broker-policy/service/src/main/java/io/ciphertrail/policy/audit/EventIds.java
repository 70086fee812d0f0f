package io.ciphertrail.policy.audit;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Audit event ids, none from a blocking or shared random source ({@link UUID#randomUUID()} takes a lock on
 * {@code SecureRandom} per call). An id must be unique per event source, not secret.
 */
public final class EventIds {
    private EventIds() {
    }

    /**
     * The id of the gate's event about the record read at this position: the same whenever the record is processed,
     * so an event written again after an aborted transaction is recognisably the same event (CloudEvents: source + id
     * identify an event), and a replayed record, read at a new position, gets a new one.
     */
    public static String forRecord(String topic, int partition, long offset) {
        return topic + "-" + partition + "@" + offset;
    }

    /** A random (version 4) UUID from the thread's own generator, for events that have no position of their own. */
    public static String random() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}
