package io.ciphertrail.bench.e2e;

import io.ciphertrail.bench.report.Stats;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/** The two measurements: maximum throughput (produce, then consume) and latency at a fixed rate. */
final class Workloads {
    static final int RECORD_SIZE = 1024;
    /** A fixed-rate run stops when sending falls this far behind its schedule. */
    private static final long MAX_LAG_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Platform platform;
    private final Clients clients;
    private final Consumer<String> progress;
    private final byte[][] payloads = new byte[16][RECORD_SIZE];

    Workloads(Platform platform, Clients clients, Consumer<String> progress) {
        this.platform = platform;
        this.clients = clients;
        this.progress = progress;
        SecureRandom random = new SecureRandom();
        for (byte[] payload : payloads) {
            random.nextBytes(payload); // incompressible, and compression is off anyway
        }
    }

    /**
     * Results of one throughput run; rates are per second, CPU in seconds. For a gate: the producer rate is the ingress
     * rate, the gate rate the forwarded rate over the same window, the lag the records acknowledged into ingress but not
     * yet forwarded when the window closed, and the trail records per gated record what the gate wrote to its trail
     * topic over the whole run (audit events and index entries) per record it checked.
     */
    record Throughput(double producerRecordsPerSec, long produced, double consumerRecordsPerSec,
                      double cpuSeconds, Map<String, Double> cpuByJvm, double storedBytesPerRecord,
                      double gateRecordsPerSec, long gateLagAtEnd, double trailRecordsPerGatedRecord, double foreignCpuPercent) {
        double cpuSecondsPerGb() {
            return cpuSeconds / (produced * (double) RECORD_SIZE / 1e9);
        }

        /**
         * The most records per second the machine both produces and consumes: a latency run does both at
         * once, and on a small machine the clients and the broker share the same cores, so producing at half
         * the producer maximum alone would already load it fully. Each record costs the time to produce it
         * plus the time to consume it.
         */
        double endToEndRecordsPerSec() {
            return 1 / (1 / producerRecordsPerSec + 1 / consumerRecordsPerSec);
        }
    }

    /**
     * Results of one fixed-rate run: latencies in nanoseconds, sorted; and the timeline, the p99 of each
     * second of the measured part (by scheduled send time), so a stall shows where it happened.
     */
    record Latency(double targetRate, double achievedRate, long[] publish, long[] endToEnd, long sent, long missing,
                   boolean saturated, double foreignCpuPercent, long[] publishP99PerSecond, long[] endToEndP99PerSecond) {
    }

    /**
     * Sends as fast as the producer accepts for {@code warmup + measure}; the producer rate is acknowledged
     * records per second over the {@code measure} part. Then (for the gate, once it forwarded everything)
     * a new consumer reads every record from the beginning. CPU time is that of every JVM involved from
     * the producer's creation to the consumer's close.
     */
    Throughput throughput(Scenario scenario, String topic, Duration warmup, Duration measure) {
        String sendTopic = Clients.sendTopic(scenario, topic);
        List<ChildProcess> servers = platform.serverJvms(scenario);
        double[] cpuBefore = cpu(servers);
        double clientBefore = Cpu.self();
        double machineBefore = MachineCpu.busySeconds();
        double ownBefore = ownJvmsCpu();
        long forwardedBase = scenario.gated() ? platform.forwarded(scenario) : 0;
        long checkedBase = scenario.gated() ? platform.checked(scenario) : 0;
        long trailBase = scenario.gated() ? platform.trailRecords(scenario) : 0;

        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        org.apache.kafka.clients.producer.Callback callback = (metadata, exception) -> {
            if (exception == null) {
                acked.incrementAndGet();
            } else {
                failed.incrementAndGet();
                firstFailure.compareAndSet(null, exception);
            }
        };
        long sent = 0;
        long start = System.nanoTime();
        long windowStart = start + warmup.toNanos();
        long windowEnd = windowStart + measure.toNanos();
        long ackedAtStart = -1;
        long ackedAtEnd = -1;
        long forwardedAtStart = -1;
        long forwardedAtEnd = -1;
        long startedAt = 0;
        long endedAt = 0;
        try (Producer<byte[], byte[]> producer = clients.producer(scenario, topic)) {
            while (true) {
                long now = System.nanoTime();
                if (ackedAtStart < 0 && now >= windowStart) {
                    ackedAtStart = acked.get();
                    startedAt = now;
                    if (scenario.gated()) {
                        forwardedAtStart = platform.forwarded(scenario);
                    }
                }
                if (now >= windowEnd) {
                    ackedAtEnd = acked.get();
                    endedAt = now;
                    if (scenario.gated()) {
                        forwardedAtEnd = platform.forwarded(scenario);
                    }
                    break;
                }
                producer.send(new ProducerRecord<>(sendTopic, null, payloads[(int) (sent & 15)]), callback);
                sent++;
            }
            producer.flush();
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " of " + sent + " sends failed in " + scenario.label
                    + ": " + firstFailure.get(), firstFailure.get());
        }
        double seconds = (endedAt - startedAt) / 1e9;
        double producerRate = (ackedAtEnd - ackedAtStart) / seconds;
        double gateRate = scenario.gated() ? (forwardedAtEnd - forwardedAtStart) / seconds : Double.NaN;
        long lag = scenario.gated() ? Math.max(0, ackedAtEnd - (forwardedAtEnd - forwardedBase)) : 0;
        double trailPerRecord = Double.NaN;
        if (scenario.gated()) {
            awaitForwarded(scenario, forwardedBase + sent);
            trailPerRecord = (platform.trailRecords(scenario) - trailBase) / (double) Math.max(1, platform.checked(scenario) - checkedBase);
        }
        double stored = storedBytes(topic) / (double) sent;
        Consumed consumed = consumeAll(scenario, topic, sent);
        double consumerRate = consumed.records() / consumed.seconds();
        double[] cpuAfter = cpu(servers);
        double clientAfter = Cpu.self();
        double machineAfter = MachineCpu.busySeconds();
        double ownAfter = ownJvmsCpu();

        Map<String, Double> byJvm = new java.util.LinkedHashMap<>();
        byJvm.put("clients", clientAfter - clientBefore);
        for (int i = 0; i < servers.size(); i++) {
            byJvm.put(servers.get(i).name(), cpuAfter[i] - cpuBefore[i]);
        }
        double total = byJvm.values().stream().mapToDouble(Double::doubleValue).sum();
        double elapsed = (System.nanoTime() - start) / 1e9;
        double foreign = foreignPercent(machineAfter - machineBefore, ownAfter - ownBefore, elapsed);
        return new Throughput(producerRate, sent, consumerRate, total, byJvm, stored, gateRate, lag, trailPerRecord, foreign);
    }

    private static double[] cpu(List<ChildProcess> servers) {
        double[] values = new double[servers.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = servers.get(i).cpuSeconds();
        }
        return values;
    }

    /** CPU of every JVM of the benchmark (this one and all children), to tell the rest of the machine's load apart. */
    private double ownJvmsCpu() {
        return Cpu.self() + platform.allJvmsCpu();
    }

    private static double foreignPercent(double machineBusy, double ours, double elapsed) {
        int cores = Runtime.getRuntime().availableProcessors();
        return Math.max(0, (machineBusy - ours) / (elapsed * cores) * 100);
    }

    private void awaitForwarded(Scenario gate, long target) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (platform.forwarded(gate) < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The gate did not forward all records within 300 s");
            }
            platform.checkAlive();
            Platform.sleep(50);
        }
    }

    private record Consumed(long records, double seconds) {
    }

    /**
     * Reads {@code expected} records from the start of {@code topic}. The rate is steady-state: timed from
     * the first poll that returned records to the last record, counting the records after that first
     * batch, so the consumer's start (class loading, TLS handshake, metadata, the first data-key unwrap)
     * does not weigh on the short read of a fast scenario more than on a slow one.
     */
    private Consumed consumeAll(Scenario scenario, String topic, long expected) {
        TopicPartition partition = new TopicPartition(topic, 0);
        long count = 0;
        long firstBatch = -1;
        long first = 0;
        long last = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        try (org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer = clients.consumer(scenario)) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            while (count < expected) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Read only " + count + " of " + expected + " records from " + topic + " within 300 s");
                }
                var records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    if (record.value() == null || record.value().length != RECORD_SIZE) {
                        throw new IllegalStateException("Record " + record.offset() + " of " + topic + " has "
                                + (record.value() == null ? "no value" : record.value().length + " bytes") + ", not " + RECORD_SIZE);
                    }
                    count++;
                }
                if (!records.isEmpty()) {
                    last = System.nanoTime();
                    if (firstBatch < 0) {
                        firstBatch = count;
                        first = last;
                    }
                }
            }
        }
        if (count == firstBatch) {
            throw new IllegalStateException("All " + count + " records of " + topic + " came in one poll: too few to time;"
                    + " measure longer (--measure-seconds)");
        }
        return new Consumed(count - firstBatch, (last - first) / 1e9);
    }

    /** Bytes the broker stores for the topic's partition (log segments). */
    private long storedBytes(String topic) {
        try {
            Map<Integer, Map<String, LogDirDescription>> dirs = platform.admin().describeLogDirs(List.of(1))
                    .allDescriptions().get(30, TimeUnit.SECONDS);
            long size = 0;
            for (Map<String, LogDirDescription> byDir : dirs.values()) {
                for (LogDirDescription dir : byDir.values()) {
                    ReplicaInfo info = dir.replicaInfos().get(new TopicPartition(topic, 0));
                    if (info != null) {
                        size += info.size();
                    }
                }
            }
            return size;
        } catch (Exception e) {
            progress.accept("warning: cannot read the size of " + topic + ": " + e.getMessage());
            return -1;
        }
    }

    /**
     * Sends at {@code rate} records per second for {@code warmup + measure}, on a fixed schedule. Each
     * latency is measured from the record's scheduled send time (so a producer that falls behind shows
     * it, instead of hiding the wait: no coordinated omission) to its acknowledgement (publish) and to its
     * arrival in a consumer that polls all along (end to end, after decryption). Only records scheduled in
     * the {@code measure} part count.
     */
    Latency latency(Scenario scenario, String topic, double rate, Duration warmup, Duration measure) {
        String sendTopic = Clients.sendTopic(scenario, topic);
        int total = (int) Math.round(rate * (warmup.toNanos() + measure.toNanos()) / 1e9);
        int firstMeasured = (int) Math.round(rate * warmup.toNanos() / 1e9);
        long interval = Math.round(1e9 / rate);
        long[] publish = new long[total];
        long[] endToEnd = new long[total];
        java.util.Arrays.fill(publish, -1);
        java.util.Arrays.fill(endToEnd, -1);
        AtomicLong failed = new AtomicLong();
        AtomicLong received = new AtomicLong();
        AtomicLong expected = new AtomicLong(total);
        AtomicReference<Exception> failure = new AtomicReference<>();
        double machineBefore = MachineCpu.busySeconds();
        double ownBefore = ownJvmsCpu();
        long began = System.nanoTime();

        TopicPartition partition = new TopicPartition(topic, 0);
        org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer = clients.consumer(scenario);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        consumer.position(partition);
        Thread polling = new Thread(() -> {
            try {
                while (received.get() < expected.get() && !Thread.currentThread().isInterrupted()) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                        long now = System.nanoTime();
                        ByteBuffer value = ByteBuffer.wrap(record.value());
                        int sequence = (int) value.getLong(8);
                        endToEnd[sequence] = now - value.getLong(0);
                        received.incrementAndGet();
                    }
                }
            } catch (org.apache.kafka.common.errors.InterruptException | org.apache.kafka.common.errors.WakeupException e) {
                // stopped
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }, "latency-consumer");
        polling.setDaemon(true);
        polling.start();

        long firstMeasuredAt = 0;
        long lastSentAt = 0;
        int sent = 0;
        boolean saturated = false;
        try (Producer<byte[], byte[]> producer = clients.producer(scenario, topic)) {
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            for (int i = 0; i < total; i++) {
                long due = start + i * interval;
                if (System.nanoTime() - due > MAX_LAG_NANOS) {
                    // The producer cannot keep this rate: latency would only grow with the run's length.
                    saturated = true;
                    break;
                }
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                byte[] value = payloads[i & 15].clone();
                ByteBuffer.wrap(value).putLong(0, due).putLong(8, i);
                final int sequence = i;
                producer.send(new ProducerRecord<>(sendTopic, null, value), (metadata, exception) -> {
                    if (exception == null) {
                        publish[sequence] = System.nanoTime() - due;
                    } else {
                        failed.incrementAndGet();
                        failure.compareAndSet(null, exception);
                    }
                });
                if (i == firstMeasured) {
                    firstMeasuredAt = System.nanoTime();
                }
                lastSentAt = System.nanoTime();
                sent++;
            }
            producer.flush();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        expected.set(sent);
        while (received.get() < sent && System.nanoTime() < deadline && failure.get() == null) {
            Platform.sleep(20);
        }
        polling.interrupt();
        try {
            polling.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(Duration.ofSeconds(10));
        if (failure.get() != null) {
            throw new IllegalStateException("Latency run of " + scenario.label + " failed: " + failure.get(), failure.get());
        }
        double achieved = sent > firstMeasured + 1 ? (sent - firstMeasured - 1) / ((lastSentAt - firstMeasuredAt) / 1e9) : Double.NaN;
        double foreign = foreignPercent(MachineCpu.busySeconds() - machineBefore, ownJvmsCpu() - ownBefore,
                (System.nanoTime() - began) / 1e9);
        int perSecond = (int) Math.round(rate);
        return new Latency(rate, achieved, Stats.sortedFrom(publish, firstMeasured), Stats.sortedFrom(endToEnd, firstMeasured),
                sent, sent - received.get(), saturated, foreign,
                Stats.percentilePerWindow(publish, firstMeasured, sent, perSecond, 99),
                Stats.percentilePerWindow(endToEnd, firstMeasured, sent, perSecond, 99));
    }
}
