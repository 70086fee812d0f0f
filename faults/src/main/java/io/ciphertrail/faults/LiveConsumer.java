package io.ciphertrail.faults;

import io.ciphertrail.consumer.SecureConsumer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A {@link SecureConsumer} in a consumer group, reading numbered records while faults happen, committing
 * as it goes (what an application does), and recording what it finds into a {@link DeliveryLedger}. The
 * first error it meets stops it and is kept for the test to report ({@link #error()}).
 */
public final class LiveConsumer implements AutoCloseable {
    /** Told of every record as it arrives: its number, when it was sent and when it arrived (epoch milliseconds). */
    @FunctionalInterface
    public interface Arrivals {
        void arrived(long number, long sentAtMillis, long arrivedAtMillis);
    }

    private final SecureConsumer<String, String> consumer;
    private final DeliveryLedger ledger;
    private final Arrivals arrivals;
    private final Thread poller;
    private final AtomicLong received = new AtomicLong();
    private final Set<Long> numbers = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private volatile boolean running = true;

    /** Starts reading {@code topic} from its beginning as member of {@code group}. */
    public LiveConsumer(Map<String, Object> settings, String topic, String group, DeliveryLedger ledger, Arrivals arrivals) {
        Map<String, Object> props = new HashMap<>(settings);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer = new SecureConsumer<>(props, new StringDeserializer(), new StringDeserializer());
        this.ledger = ledger;
        this.arrivals = arrivals;
        consumer.subscribe(List.of(topic));
        this.poller = new Thread(this::poll, "live-consumer-" + topic);
        poller.setDaemon(true);
        poller.start();
    }

    private void poll() {
        try {
            while (running) {
                var records = consumer.poll(Duration.ofMillis(200));
                long now = System.currentTimeMillis();
                for (ConsumerRecord<String, String> record : records) {
                    long number = NumberedRecords.number(record.key());
                    if (number < 0) {
                        continue;
                    }
                    ledger.found(number, record.topic(), record.partition(), record.offset());
                    numbers.add(number);
                    arrivals.arrived(number, NumberedRecords.sentAt(record.value()), now);
                    received.incrementAndGet();
                }
                if (!records.isEmpty()) {
                    // A commit that fails while its coordinator moves is covered by the next one: no need to log it.
                    consumer.commitAsync((offsets, error) -> { });
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (Throwable e) {
            error.set(e);
        }
    }

    /** Records received so far, repeats after a rebalance included. */
    public long received() {
        return received.get();
    }

    /** The distinct records received so far. */
    public Set<Long> numbers() {
        return numbers;
    }

    /** The error that stopped this consumer, if one did. */
    public Throwable error() {
        return error.get();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            poller.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            consumer.commitSync(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            // best effort: what was consumed is already in the ledger
        }
        consumer.close(Duration.ofSeconds(10));
    }
}
