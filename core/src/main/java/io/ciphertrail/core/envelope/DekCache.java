package io.ciphertrail.core.envelope;

import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
import java.time.Clock;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.SecretKey;

/**
 * Unwrapped data keys by wrapped form, so each process unwraps each data key once. Bounded in size
 * (least recently used goes first) and in age (a key is dropped, and its material destroyed, after
 * its maximum age whether used or not). A producer puts the keys it creates here, so a process that
 * also consumes what it produced never asks the KMS for them.
 */
public final class DekCache implements AutoCloseable {
    private record Entry(Dek dek, long expiresAt) {
    }

    private final int maxEntries;
    private final long maxAgeMillis;
    private final Clock clock;
    private final LinkedHashMap<Edek, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);

    public DekCache(int maxEntries, long maxAgeMillis, Clock clock) {
        this.maxEntries = maxEntries;
        this.maxAgeMillis = maxAgeMillis;
        this.clock = clock;
    }

    /** The key for {@code edek}, or null if absent or expired. */
    public synchronized SecretKey key(Edek edek) {
        Entry entry = entries.get(edek);
        if (entry == null) {
            return null;
        }
        if (clock.millis() >= entry.expiresAt()) {
            entries.remove(edek);
            entry.dek().destroy();
            return null;
        }
        return entry.dek().secretKey();
    }

    /** Keeps a copy of {@code dek}: the caller still owns (and destroys) its own. */
    public synchronized void put(Edek edek, Dek dek) {
        byte[] copy = dek.copyMaterial();
        Entry previous = entries.put(edek, new Entry(Dek.adopt(copy), clock.millis() + maxAgeMillis));
        if (previous != null) {
            previous.dek().destroy();
        }
        evict();
    }

    public synchronized int size() {
        return entries.size();
    }

    private void evict() {
        long now = clock.millis();
        Iterator<Map.Entry<Edek, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Edek, Entry> next = it.next();
            if (entries.size() > maxEntries || now >= next.getValue().expiresAt()) {
                next.getValue().dek().destroy();
                it.remove();
            }
        }
    }

    @Override
    public synchronized void close() {
        entries.values().forEach(e -> e.dek().destroy());
        entries.clear();
    }
}
