package io.ciphertrail.core.envelope;

import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
import java.time.Clock;
import java.util.Comparator;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.SecretKey;

/**
 * Unwrapped data keys by wrapped form, so each process unwraps each data key once. Bounded in size
 * (least recently used goes first) and in age (a key is dropped, and its material destroyed, after
 * its maximum age whether used or not). A producer puts the keys it creates here, so a process that
 * also consumes what it produced never asks the KMS for them.
 *
 * <p>A consumer looks a key up for every record, so lookups take no lock; adding a key (once per data
 * key) takes one and does the eviction.
 */
public final class DekCache implements AutoCloseable {
    private static final class Entry {
        final Edek edek;
        final Dek dek;
        /**
         * Taken when the entry is made: a lookup racing with this entry's eviction still gets a usable key
         * instead of meeting a destroyed {@link Dek}. (A JCA key object keeps its own copy of the material,
         * which the JDK gives no way to clear, whether held here or in the {@code Dek}.)
         */
        final SecretKey key;
        final long expiresAt;
        /** Milliseconds of the last lookup, for least-recently-used eviction. */
        volatile long lastUsed;

        Entry(Edek edek, Dek dek, long expiresAt, long now) {
            this.edek = edek;
            this.dek = dek;
            this.key = dek.secretKey();
            this.expiresAt = expiresAt;
            this.lastUsed = now;
        }
    }

    private final int maxEntries;
    private final long maxAgeMillis;
    private final Clock clock;
    private final ConcurrentHashMap<Edek, Entry> entries = new ConcurrentHashMap<>();

    public DekCache(int maxEntries, long maxAgeMillis, Clock clock) {
        this.maxEntries = maxEntries;
        this.maxAgeMillis = maxAgeMillis;
        this.clock = clock;
    }

    /** The key for {@code edek}, or null if absent or expired. */
    public SecretKey key(Edek edek) {
        return live(entries.get(edek));
    }

    /**
     * The key for the wrapped key {@code data[offset, offset + length)} under {@code alias} and {@code version}, or
     * null if absent or expired: the lookup a reader makes for every record, which copies nothing.
     */
    public SecretKey key(String alias, int version, byte[] data, int offset, int length) {
        return live(entries.get(new Lookup(alias, version, data, offset, length)));
    }

    private SecretKey live(Entry entry) {
        if (entry == null) {
            return null;
        }
        long now = clock.millis();
        if (now >= entry.expiresAt) {
            if (entries.remove(entry.edek, entry)) {
                entry.dek.destroy();
            }
            return null;
        }
        if (entry.lastUsed != now) {
            entry.lastUsed = now; // written at most once a millisecond: no cache-line traffic per record
        }
        return entry.key;
    }

    /** Finds the entry of an {@link Edek} by its parts ({@link Edek#hash}, {@link Edek#is}); used only to look up. */
    private record Lookup(String alias, int version, byte[] data, int offset, int length) {
        @Override
        public int hashCode() {
            return Edek.hash(alias, version, data, offset, length);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Edek edek && edek.is(alias, version, data, offset, length);
        }
    }

    /** Keeps a copy of {@code dek}: the caller still owns (and destroys) its own. */
    public synchronized void put(Edek edek, Dek dek) {
        long now = clock.millis();
        Entry previous = entries.put(edek, new Entry(edek, Dek.adopt(dek.copyMaterial()), now + maxAgeMillis, now));
        if (previous != null) {
            previous.dek.destroy();
        }
        evict(now);
    }

    public int size() {
        return entries.size();
    }

    /** Drops expired keys, then the least recently used beyond the size bound. */
    private void evict(long now) {
        entries.forEach((edek, entry) -> {
            if (now >= entry.expiresAt && entries.remove(edek, entry)) {
                entry.dek.destroy();
            }
        });
        while (entries.size() > maxEntries) {
            entries.entrySet().stream().min(Comparator.comparingLong(e -> e.getValue().lastUsed))
                    .ifPresent(oldest -> {
                        if (entries.remove(oldest.getKey(), oldest.getValue())) {
                            oldest.getValue().dek.destroy();
                        }
                    });
        }
    }

    @Override
    public synchronized void close() {
        entries.forEach((edek, entry) -> {
            if (entries.remove(edek, entry)) {
                entry.dek.destroy();
            }
        });
    }
}
