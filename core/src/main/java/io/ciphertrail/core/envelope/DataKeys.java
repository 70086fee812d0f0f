package io.ciphertrail.core.envelope;

import io.ciphertrail.core.envelope.CryptoListener.KmsOperation;
import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.GeneratedDek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.SecretKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data key each topic's records are encrypted with, replaced before it is used up.
 *
 * <p>A key serves at most {@code dek.max.encryptions} records and {@code dek.max.age.ms}. When three
 * quarters of either is spent, or the KEK alias is due to be resolved again, a replacement is prepared
 * on a background thread; the send path keeps using the current key meanwhile and so makes no KMS call
 * in steady state. Only on a topic's first record, or if the KMS was too slow and the key truly ran
 * out, does a sender wait (at most {@code kms.timeout.ms}).
 *
 * <p>IVs are deterministic (NIST SP 800-38D §8.2.1): a counter per data key, taken once per record. A data key is
 * created and used by one process only, and the counter stops below the encryption limit (at most 2^32), so an IV
 * never repeats under a key. Envelope version 2 carries only the counter (the IV is four zero bytes and the counter);
 * version 1 puts 4 random bytes fixed per key before it. The proof that this never repeats an IV, with derived data
 * keys too, is in {@code docs/key-management.md}.
 */
final class DataKeys {
    private static final Logger LOG = LoggerFactory.getLogger(DataKeys.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long RETRY_BACKOFF_MILLIS = 1_000;

    private final Kms kms;
    private final EnvelopeConfig config;
    private final DekCache cache;
    private final CryptoListener listener;
    private final Clock clock;
    private final Executor background;
    private final KmsCalls calls;
    private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();
    private final long maxEncryptions;
    private final long maxAgeMillis;
    private final long kekRefreshMillis;
    /** The envelope version written: which data keys to ask for and how their key section looks. */
    private final int formatVersion;

    DataKeys(Kms kms, EnvelopeConfig config, DekCache cache, CryptoListener listener, Clock clock, Executor background) {
        this.kms = kms;
        this.config = config;
        this.cache = cache;
        this.listener = listener;
        this.clock = clock;
        this.background = background;
        this.calls = new KmsCalls(config.kmsTimeout(), listener);
        this.maxEncryptions = config.dekMaxEncryptions();
        this.maxAgeMillis = config.dekMaxAge().toMillis();
        this.kekRefreshMillis = config.kekRefresh().toMillis();
        this.formatVersion = config.formatVersion();
    }

    /** A key and the counter of one encryption under it (its IV). */
    record Lease(ActiveKey key, long counter) {
        /** The 12-byte IV of envelope version 1. */
        byte[] ivV1() {
            return EnvelopeV1.iv(key.ivPrefix, counter);
        }
    }

    /**
     * Starts getting {@code topic}'s first data key in the background, if it has none yet and none is on
     * its way, and returns at once. A producer calls this before it waits for the topic's metadata, so the
     * KMS work of a topic's first record overlaps that wait instead of following it on the send path.
     */
    void prepare(String topic) {
        Slot slot = slots.computeIfAbsent(topic, Slot::new);
        if (slot.active == null && slot.pending == null && clock.millis() >= slot.retryAfter) {
            slot.refresh(false);
        }
    }

    /** The current data key for {@code topic} and a fresh IV under it. */
    Lease lease(String topic) {
        Slot slot = slots.computeIfAbsent(topic, Slot::new);
        ActiveKey key = slot.active;
        while (true) {
            long now = clock.millis();
            if (key != null && now - key.createdAt < maxAgeMillis) {
                long counter = key.used.getAndIncrement();
                if (counter < maxEncryptions) {
                    if (slot.pending == null && now >= slot.retryAfter && (counter >= maxEncryptions / 4 * 3
                            || now - key.createdAt >= maxAgeMillis / 4 * 3 || now - slot.kekCheckedAt >= kekRefreshMillis)) {
                        slot.refresh(false);
                    }
                    return new Lease(key, counter);
                }
            }
            key = slot.awaitReplacement(key);
        }
    }

    /** A data key in use for one topic. */
    static final class ActiveKey {
        final SecretKey key;
        final Edek edek;
        final TopicBinding topic;
        /** The part of every envelope and delete proof under this key that stays the same: binding and wrapped key. */
        final byte[] keySection;
        final long createdAt;
        final AtomicLong used = new AtomicLong();
        /** Envelope version 1 only: the IV's first 4 bytes. */
        private final int ivPrefix = RANDOM.nextInt();

        private ActiveKey(TopicBinding topic, GeneratedDek generated, int formatVersion, long createdAt) {
            this.key = generated.dek().secretKey();
            this.edek = generated.edek();
            this.topic = topic;
            this.keySection = formatVersion == EnvelopeV1.VERSION
                    ? BindingV1.keySection(topic.topic(), generated.edek())
                    : BindingV2.keySection(topic, generated.edek());
            this.createdAt = createdAt;
        }
    }

    private final class Slot {
        private final String topic;
        private final TopicBinding binding;
        private final String alias;
        volatile ActiveKey active;
        volatile long kekCheckedAt;
        volatile CompletableFuture<ActiveKey> pending;
        /** After a failed refresh, senders wait this long before the KMS is asked again. */
        volatile long retryAfter;
        /** Why the last refresh failed, given to senders until {@link #retryAfter} instead of asking the KMS per record. */
        volatile Throwable lastFailure;
        private io.ciphertrail.core.kms.Dek activeDek;

        Slot(String topic) {
            this.topic = topic;
            this.binding = config.kekAliases().binding(topic);
            this.alias = binding.kekAlias();
        }

        /** Starts preparing a replacement unless one is on its way; {@code force} replaces even a fresh key. */
        synchronized CompletableFuture<ActiveKey> refresh(boolean force) {
            if (pending != null) {
                return pending;
            }
            CompletableFuture<ActiveKey> next = CompletableFuture.supplyAsync(() -> replace(force), background);
            pending = next;
            next.whenComplete((key, failure) -> {
                synchronized (this) {
                    pending = null;
                }
                if (failure != null) {
                    lastFailure = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                    retryAfter = clock.millis() + RETRY_BACKOFF_MILLIS;
                }
                if (failure != null && active != null) {
                    LOG.warn("Could not prepare a new data key for topic '{}' (KEK alias '{}'); the current one stays in use: {}",
                            topic, alias, failure.getCause() != null ? failure.getCause().getMessage() : failure.getMessage());
                }
            });
            return next;
        }

        private ActiveKey replace(boolean force) {
            KekRef kek;
            try {
                kek = calls.call(KmsOperation.RESOLVE, topic, () -> kms.resolveAlias(alias));
            } catch (EnvelopeException e) {
                if (e.reason() == Reason.UNKNOWN_KEK || e.reason() == Reason.KEK_DESTROYED) {
                    // The topic's key is gone (shredded, or removed): records encrypted under it from now on
                    // could never be read, so stop using the current data key rather than write them.
                    retire();
                }
                throw e;
            }
            kekCheckedAt = clock.millis();
            ActiveKey current = active;
            if (!force && current != null && current.edek.kek().equals(kek)
                    && current.used.get() < maxEncryptions / 4 * 3 && clock.millis() - current.createdAt < maxAgeMillis / 4 * 3) {
                return current;
            }
            GeneratedDek generated = calls.call(KmsOperation.GENERATE, topic, () -> formatVersion == EnvelopeV1.VERSION
                    ? kms.generateDekForEarlierReaders(kek) : kms.generateDek(kek));
            cache.put(generated.edek(), generated.dek());
            ActiveKey next = new ActiveKey(binding, generated, formatVersion, clock.millis());
            synchronized (this) {
                if (activeDek != null) {
                    // Leases already handed out keep their own key object; only this copy of the material goes.
                    activeDek.destroy();
                }
                activeDek = generated.dek();
                active = next;
            }
            listener.dataKeyRotated(topic, kek);
            return next;
        }

        private synchronized void retire() {
            if (activeDek != null) {
                activeDek.destroy();
                activeDek = null;
            }
            active = null;
        }

        /** Waits for a key other than {@code stale}: the first one, or one replacing a used-up key. */
        ActiveKey awaitReplacement(ActiveKey stale) {
            CompletableFuture<ActiveKey> next;
            synchronized (this) {
                if (active != stale && active != null) {
                    return active;
                }
                Throwable failed = lastFailure;
                if (failed != null && clock.millis() < retryAfter) {
                    throw failure(failed);
                }
                next = refresh(stale != null);
            }
            try {
                return next.get(config.kmsTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new EnvelopeException(Reason.KMS_UNAVAILABLE, topic, "no data key within "
                        + config.kmsTimeout().toMillis() + " ms (" + EnvelopeConfig.KMS_TIMEOUT_MS_CONFIG + ")", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EnvelopeException(Reason.KMS_UNAVAILABLE, topic, "interrupted while waiting for a data key", e);
            } catch (ExecutionException e) {
                throw failure(e.getCause());
            }
        }

        private EnvelopeException failure(Throwable cause) {
            EnvelopeException failure = KmsCalls.failure(topic, cause);
            if (failure.reason() == Reason.UNKNOWN_KEK) {
                return new EnvelopeException(Reason.UNKNOWN_KEK, topic, "no KEK with alias '" + alias
                        + "' for this topic; create it (ciphertrail keys create " + alias + ") or check "
                        + EnvelopeConfig.KEK_ALIAS_TEMPLATE_CONFIG, failure);
            }
            return failure;
        }
    }

    void close() {
        for (Slot slot : slots.values()) {
            synchronized (slot) {
                if (slot.activeDek != null) {
                    slot.activeDek.destroy();
                }
            }
        }
    }
}
