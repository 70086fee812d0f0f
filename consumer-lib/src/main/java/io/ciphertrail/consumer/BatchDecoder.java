package io.ciphertrail.consumer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decrypts and verifies the records of one poll on up to {@code ciphertrail.consumer.decrypt.threads}
 * threads (the polling thread and helper threads), then hands each record back, in the order given, for
 * the caller to decode one after the other: the application's deserializers run on the polling thread
 * only, and only for the records the caller asks for, exactly as before, so the caller applies its failure
 * policy exactly as if it had decrypted one record after the other. Decrypting the records behind a failure
 * too changes nothing the application sees (it has no effect but metrics): the caller returns nothing past
 * a failure and those records are decrypted again on the next poll.
 *
 * <p>The threads take the records in chunks of {@link #CHUNK} from a counter of the poll: a helper that
 * starts late, or runs slower because another process holds its core, takes fewer chunks, instead of the
 * polling thread waiting for a fixed half. The polling thread waits at most for the chunks still in a
 * helper's hands.
 *
 * <p>Meant for any consumer of this library (a {@code SecureConsumer}, a share-group consumer). The helper
 * threads are daemons owned by this object; {@link #close()} stops them.
 */
final class BatchDecoder<K, V> implements AutoCloseable {
    /** Below this many records per thread, the polling thread decrypts alone: handing work over costs more. */
    static final int MIN_RECORDS_PER_SHARE = 64;
    /** Records a thread takes at once: few enough to balance the threads, enough that taking them costs nothing. */
    static final int CHUNK = 16;
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

    /**
     * The records of one poll being decrypted: the chunks taken and finished so far, shared by the threads that decrypt
     * them. Helpers may start on it at once; the polling thread joins in when it needs the records ({@link #join()}).
     */
    static final class Batch<K, V> implements Runnable {
        private final List<Decrypted<K, V>> records;
        private final int chunkSize;
        private final int chunks;
        private final boolean shared;
        private final AtomicInteger taken = new AtomicInteger();
        private final AtomicInteger finished = new AtomicInteger();
        /** The thread waiting in {@link #join()}, for the helper that finishes the last chunk to wake. */
        private volatile Thread waiter;
        private volatile Throwable error;

        private Batch(List<Decrypted<K, V>> records, int chunkSize, boolean shared) {
            this.records = records;
            this.chunkSize = chunkSize;
            this.chunks = (records.size() + chunkSize - 1) / chunkSize;
            this.shared = shared;
        }

        /** Whether helper threads decrypt this batch besides the thread that joins it. */
        boolean shared() {
            return shared;
        }

        /**
         * Decrypts chunks until none is left; the helper that finishes the last one wakes the waiting thread. A chunk
         * ended by an error (a record's own failure is kept with the record) counts as finished too, so the waiting
         * thread never waits for it forever, and throws that error instead.
         */
        @Override
        public void run() {
            int chunk;
            while ((chunk = taken.getAndIncrement()) < chunks) {
                try {
                    int end = Math.min(records.size(), (chunk + 1) * chunkSize);
                    for (int i = chunk * chunkSize; i < end; i++) {
                        records.get(i).decrypt();
                    }
                } catch (Throwable e) {
                    error = e;
                    throw e;
                } finally {
                    if (finished.incrementAndGet() == chunks) {
                        Thread waiting = waiter;
                        if (waiting != null && waiting != Thread.currentThread()) {
                            LockSupport.unpark(waiting);
                        }
                    }
                }
            }
        }

        /** Leaves the chunks no thread has taken yet undecrypted: for a batch that will never be joined. */
        void cancel() {
            taken.set(chunks);
        }

        /**
         * Decrypts on the calling thread whatever no helper has taken yet, waits for the chunks still in a helper's
         * hands, and returns every record in its order. Not interrupted, as a poll's decryption never was; an interrupt
         * is kept for the caller. The waiter is published before {@code finished} is read, and the helpers increment
         * {@code finished} before they read the waiter, so a helper finishing meanwhile either sees it or is seen.
         */
        List<Decrypted<K, V>> join() {
            waiter = Thread.currentThread();
            run();
            boolean interrupted = false;
            while (finished.get() < chunks) {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            waiter = null;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            Throwable failed = error;
            if (failed instanceof Error e) {
                throw e;
            }
            if (failed != null) {
                throw (RuntimeException) failed;
            }
            return records;
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
        return start(raw).join();
    }

    /**
     * Starts decrypting {@code raw}: when there are records enough to share, helper threads begin at once while the
     * caller goes on (fetching the next poll, say) until it {@linkplain Batch#join() joins}; otherwise every record
     * is decrypted by the thread that joins.
     */
    Batch<K, V> start(List<ConsumerRecord<byte[], byte[]>> raw) {
        List<Decrypted<K, V>> records = new ArrayList<>(raw.size());
        for (ConsumerRecord<byte[], byte[]> record : raw) {
            records.add(new Decrypted<>(decoder, record));
        }
        int shares = helpers == null ? 1 : Math.min(threads, raw.size() / MIN_RECORDS_PER_SHARE);
        if (shares <= 1) {
            return new Batch<>(records, Math.max(1, records.size()), false);
        }
        Batch<K, V> batch = new Batch<>(records, CHUNK, true);
        for (int helper = 1; helper < shares; helper++) {
            helpers.execute(batch);
        }
        return batch;
    }

    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdownNow();
        }
    }
}
