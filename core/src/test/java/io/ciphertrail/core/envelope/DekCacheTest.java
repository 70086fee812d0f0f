package io.ciphertrail.core.envelope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekRef;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DekCacheTest {
    private final MutableClock clock = new MutableClock();

    private static Edek edek(int n) {
        return new Edek(new KekRef("ciphertrail/topic/orders", 1), new byte[] {(byte) n, 1, 2, 3});
    }

    @Test
    void keepsItsOwnCopyOfTheKey() {
        try (DekCache cache = new DekCache(10, 60_000, clock)) {
            Dek dek = Dek.generate();
            byte[] material = dek.copyMaterial();
            cache.put(edek(1), dek);
            dek.destroy();

            assertArrayEquals(material, cache.key(edek(1)).getEncoded(), "the caller destroying its key must not touch the cached one");
        }
    }

    @Test
    void dropsKeysAfterTheirMaximumAge() {
        try (DekCache cache = new DekCache(10, 60_000, clock)) {
            cache.put(edek(1), Dek.generate());
            clock.advance(Duration.ofSeconds(59));
            assertNotNull(cache.key(edek(1)));

            clock.advance(Duration.ofSeconds(1));
            assertNull(cache.key(edek(1)), "a key past its maximum age is gone, used or not");
            assertEquals(0, cache.size());
        }
    }

    @Test
    void evictsTheLeastRecentlyUsedKeyBeyondItsSize() {
        try (DekCache cache = new DekCache(2, 3_600_000, clock)) {
            cache.put(edek(1), Dek.generate());
            clock.advance(Duration.ofMillis(10));
            cache.put(edek(2), Dek.generate());
            clock.advance(Duration.ofMillis(10));
            assertNotNull(cache.key(edek(1)), "key 1 is now the most recently used");
            clock.advance(Duration.ofMillis(10));

            cache.put(edek(3), Dek.generate());

            assertEquals(2, cache.size());
            assertNotNull(cache.key(edek(1)));
            assertNull(cache.key(edek(2)), "the least recently used key goes first");
            assertNotNull(cache.key(edek(3)));
        }
    }

    @Test
    void aKeyEvictedWhileItIsBeingLookedUpIsAMissOrAUsableKeyNeverAnError() throws Exception {
        try (DekCache cache = new DekCache(1, 60_000, java.time.Clock.systemUTC())) {
            Dek dek = Dek.generate();
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            Thread evicting = new Thread(() -> {
                // With room for one key, each put evicts (and destroys) the other.
                for (int i = 0; i < 20_000 && !done.get(); i++) {
                    cache.put(edek(1), dek);
                    cache.put(edek(2), dek);
                }
                done.set(true);
            });
            evicting.start();
            long lookups = 0;
            try {
                while (!done.get()) {
                    javax.crypto.SecretKey key = cache.key(edek(1));
                    if (key != null) {
                        assertEquals(32, key.getEncoded().length);
                    }
                    lookups++;
                }
            } finally {
                done.set(true);
                evicting.join();
            }
            assertNotNull(cache.key(edek(2)), "after " + lookups + " lookups");
        }
    }
}
