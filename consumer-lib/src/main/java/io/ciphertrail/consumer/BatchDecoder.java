package io.ciphertrail.consumer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decrypts and verifies the records of one poll on up to {@code ciphertrail.consumer.decrypt.threads}
 * threads (the polling thread takes one share, helper threads the others), then hands each record back,
 * in the order given, for the caller to decode one after the other: the application's deserializers run
 * on the polling thread only, and only for the records the caller asks for, exactly as before, so the
 * caller applies its failure policy exactly as if it had decrypted one record after the other. Decrypting
 * the records behind a failure too changes nothing the application sees (it has no effect but metrics):
 * the caller returns nothing past a failure and those records are decrypted again on the next poll.
 *
 * <p>Meant for any consumer of this library (a {@code SecureConsumer}, a share-group consumer). The helper
 * threads are daemons owned by this object; {@link #close()} stops them.
 */
final class BatchDecoder<K, V> implements AutoCloseable {
    /** Below this many records per share, the polling thread decrypts alone: handing work over costs more. */
    static final int MIN_RECORDS_PER_SHARE = 64;
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** One record, decrypted (or failed) ahead; {@link #decode()} deserializes it or throws why it failed. */
    static final class Decrypted<K, V> {
        private final RecordDecoder<K, V> decoder;
        private final ConsumerRecord<byte[], byte[]> raw;
        private RecordDecoder.Plain plain;
        private RuntimeException failure;

        private Decrypted(RecordDecoder<K, V> decoder, ConsumerRecord<byte[], byte[]> raw) {
            this.decoder = decoder;
            this.raw = raw;
        }

        ConsumerRecord<byte[], byte[]> raw() {
            return raw;
        }

        ConsumerRecord<K, V> decode() {
            if (failure != null) {
                throw failure;
            }
            return decoder.deserialize(raw, plain);
        }

        private void decrypt() {
            try {
                plain = decoder.decrypt(raw);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
    }

    private final RecordDecoder<K, V> decoder;
    private final int threads;
    private final ExecutorService helpers;

    BatchDecoder(RecordDecoder<K, V> decoder, int threads) {
        this.decoder = decoder;
        this.threads = Math.max(1, threads);
        int pool = POOLS.incrementAndGet();
        AtomicInteger number = new AtomicInteger();
        this.helpers = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads - 1, r -> {
            Thread thread = new Thread(r, "ciphertrail-decrypt-" + pool + "-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Every record of {@code raw}, decrypted, in its order. */
    List<Decrypted<K, V>> decrypt(List<ConsumerRecord<byte[], byte[]>> raw) {
        List<Decrypted<K, V>> records = new ArrayList<>(raw.size());
        raw.forEach(record -> records.add(new Decrypted<>(decoder, record)));
        int shares = helpers == null ? 1 : Math.min(threads, raw.size() / MIN_RECORDS_PER_SHARE);
        if (shares <= 1) {
            records.forEach(Decrypted::decrypt);
            return records;
        }
        int size = (records.size() + shares - 1) / shares;
        List<CompletableFuture<Void>> others = new ArrayList<>(shares - 1);
        for (int share = 1; share < shares; share++) {
            List<Decrypted<K, V>> part = records.subList(share * size, Math.min(records.size(), (share + 1) * size));
            others.add(CompletableFuture.runAsync(() -> part.forEach(Decrypted::decrypt), helpers));
        }
        records.subList(0, Math.min(size, records.size())).forEach(Decrypted::decrypt);
        // join() orders the helpers' writes before the reads that follow (happens-before through the future)
        others.forEach(CompletableFuture::join);
        return records;
    }

    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdownNow();
        }
    }
}
