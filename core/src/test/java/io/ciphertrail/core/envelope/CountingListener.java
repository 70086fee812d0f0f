package io.ciphertrail.core.envelope;

import io.ciphertrail.core.kms.KekRef;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** Counts what the envelope layer reports: KMS calls by operation, failures by reason, rotations. */
final class CountingListener implements CryptoListener {
    final Map<KmsOperation, AtomicLong> kmsCalls = new ConcurrentHashMap<>();
    final Map<EnvelopeException.Reason, AtomicLong> failures = new ConcurrentHashMap<>();
    final Map<EnvelopeException.Reason, AtomicLong> passedThrough = new ConcurrentHashMap<>();
    final List<KekRef> rotations = new CopyOnWriteArrayList<>();
    final AtomicLong encrypted = new AtomicLong();
    final AtomicLong decrypted = new AtomicLong();

    long calls(KmsOperation operation) {
        AtomicLong count = kmsCalls.get(operation);
        return count == null ? 0 : count.get();
    }

    @Override
    public void recordEncrypted(String topic, int plaintextBytes, int envelopeBytes) {
        encrypted.incrementAndGet();
    }

    @Override
    public void recordDecrypted(String topic, int envelopeBytes) {
        decrypted.incrementAndGet();
    }

    @Override
    public void recordFailed(String topic, EnvelopeException.Reason reason) {
        failures.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public void recordPassedThrough(String topic, EnvelopeException.Reason reason) {
        passedThrough.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public void dataKeyRotated(String topic, KekRef kek) {
        rotations.add(kek);
    }

    @Override
    public void kmsCall(KmsOperation operation, long nanos, boolean success) {
        kmsCalls.computeIfAbsent(operation, o -> new AtomicLong()).incrementAndGet();
    }
}
