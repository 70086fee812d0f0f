package io.ciphertrail.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * What happened to each numbered record: sent, acknowledged by the cluster (where), reported failed by
 * the producer (why), and where it was found by consumers. A record found at one position any number of
 * times was delivered once (a consumer may read a position again after a rebalance: that is
 * at-least-once reading, not a second copy); a record found at two positions was written twice.
 * Thread-safe: producer callbacks and consumers record into it concurrently.
 */
public final class DeliveryLedger {
    /** Where a record was found: topic, partition and offset. */
    public record Position(String topic, int partition, long offset) {
        @Override
        public String toString() {
            return topic + "-" + partition + "@" + offset;
        }
    }

    private final AtomicLong sent = new AtomicLong();
    private final Map<Long, Position> acknowledged = new ConcurrentHashMap<>();
    private final Map<Long, String> failed = new ConcurrentHashMap<>();
    private final Map<Long, Set<Position>> found = new ConcurrentHashMap<>();

    public void sent(long number) {
        sent.incrementAndGet();
    }

    /** The producer's callback reported success: the record is on {@code min.insync.replicas} replicas. */
    public void acknowledged(long number, RecordMetadata metadata) {
        acknowledged.put(number, new Position(metadata.topic(), metadata.partition(), metadata.offset()));
    }

    /** The producer's callback reported failure: the producer told its caller this record may not be there. */
    public void failed(long number, Exception error) {
        failed.put(number, error.getClass().getSimpleName() + ": " + error.getMessage());
    }

    /** A consumer found record {@code number} at this position. */
    public void found(long number, String topic, int partition, long offset) {
        found.computeIfAbsent(number, n -> ConcurrentHashMap.newKeySet()).add(new Position(topic, partition, offset));
    }

    /** Acknowledged records that are not among {@code received} (what one consumer got), in order. */
    public List<Long> acknowledgedNotIn(Set<Long> received) {
        return acknowledged.keySet().stream().filter(n -> !received.contains(n)).sorted().toList();
    }

    public long acknowledgedCount() {
        return acknowledged.size();
    }

    public long sentCount() {
        return sent.get();
    }

    /** Counts and the numbers behind them, as of now. */
    public DeliveryReport report() {
        List<Long> lost = new ArrayList<>();
        for (Long number : acknowledged.keySet()) {
            if (!found.containsKey(number)) {
                lost.add(number);
            }
        }
        List<Long> duplicated = new ArrayList<>();
        long foundAfterFailure = 0;
        Map<String, Long> byTopic = new TreeMap<>();
        Map<String, List<Map.Entry<Long, Position>>> byPartition = new TreeMap<>();
        for (Map.Entry<Long, Set<Position>> entry : found.entrySet()) {
            if (entry.getValue().size() > 1) {
                duplicated.add(entry.getKey());
            }
            if (failed.containsKey(entry.getKey())) {
                foundAfterFailure++;
            }
            for (Position position : entry.getValue()) {
                byTopic.merge(position.topic(), 1L, Long::sum);
                byPartition.computeIfAbsent(position.topic() + "-" + position.partition(), p -> new ArrayList<>())
                        .add(Map.entry(entry.getKey(), position));
            }
        }
        List<String> outOfOrder = new ArrayList<>();
        byPartition.forEach((partition, records) -> {
            records.sort(Comparator.comparingLong(r -> r.getValue().offset()));
            for (int i = 1; i < records.size(); i++) {
                if (records.get(i).getKey() <= records.get(i - 1).getKey()) {
                    outOfOrder.add(partition + ": record " + records.get(i).getKey() + " at " + records.get(i).getValue()
                            + " after record " + records.get(i - 1).getKey() + " at " + records.get(i - 1).getValue());
                    break;
                }
            }
        });
        lost.sort(null);
        duplicated.sort(null);
        long acknowledgedAndFailed = acknowledged.keySet().stream().filter(failed::containsKey).count();
        return new DeliveryReport(sent.get(), acknowledged.size(), failed.size(), found.size(), byTopic, lost, duplicated,
                outOfOrder, foundAfterFailure, acknowledgedAndFailed, new TreeMap<>(failed));
    }
}
