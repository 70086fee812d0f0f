package io.ciphertrail.faults;

import io.ciphertrail.producer.SecureProducer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends numbered records ({@link NumberedRecords}), each with a callback that records into a
 * {@link DeliveryLedger} whether the cluster acknowledged it or the producer reported it failed. Usually
 * through the {@link SecureProducer} (encrypted, traced, acks=all, idempotent: {@link #secure}); a
 * {@link #plain} one stands for a client that skips encryption. Sends chosen numbers ({@link #send(long)}),
 * a fixed count at a steady rate ({@link #send(long, double)}), or in the background until stopped
 * ({@link #start(double)}, {@link #stop()}).
 */
public final class NumberedProducer implements AutoCloseable {
    private final Producer<String, String> producer;
    private final String topic;
    private final DeliveryLedger ledger;
    private final int valueSize;
    private final AtomicLong next = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean();
    private Thread sender;

    private NumberedProducer(Producer<String, String> producer, String topic, DeliveryLedger ledger, int valueSize) {
        this.producer = producer;
        this.topic = topic;
        this.ledger = ledger;
        this.valueSize = valueSize;
    }

    /**
     * Through the secure producer.
     *
     * @param settings secure producer settings (TLS, KMS, and {@code ciphertrail.encrypt.bound.topics} when
     *                 sending to a gate's ingress topic)
     */
    public static NumberedProducer secure(Map<String, Object> settings, String topic, DeliveryLedger ledger, int valueSize) {
        return new NumberedProducer(new SecureProducer<>(settings, new StringSerializer(), new StringSerializer()), topic, ledger, valueSize);
    }

    /** Through a plain Kafka producer over mutual TLS that does not encrypt: what the gate must quarantine. */
    public static NumberedProducer plain(Map<String, Object> settings, String topic, DeliveryLedger ledger, int valueSize) {
        Map<String, Object> durable = new HashMap<>(settings);
        durable.put(ProducerConfig.ACKS_CONFIG, "all");
        durable.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new NumberedProducer(new KafkaProducer<>(durable, new StringSerializer(), new StringSerializer()), topic, ledger, valueSize);
    }

    /** Sends record {@code number}; its outcome lands in the ledger when the producer knows it. */
    public void send(long number) {
        ledger.sent(number);
        next.incrementAndGet();
        producer.send(new ProducerRecord<>(topic, NumberedRecords.key(number), NumberedRecords.value(number, System.currentTimeMillis(), valueSize)),
                (metadata, error) -> {
                    if (error == null) {
                        ledger.acknowledged(number, metadata);
                    } else {
                        ledger.failed(number, error);
                    }
                });
    }

    /** Sends {@code count} records numbered from 0 at {@code perSecond}, then waits until each is acknowledged or failed. */
    public void send(long count, double perSecond) {
        Pacer pacer = new Pacer(perSecond);
        for (long i = 0; i < count; i++) {
            pacer.awaitTurn(i);
            send(i);
        }
        producer.flush();
    }

    /** Sends records numbered from 0 at {@code perSecond} on a background thread until {@link #stop()}. */
    public synchronized void start(double perSecond) {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("Already sending");
        }
        sender = new Thread(() -> {
            Pacer pacer = new Pacer(perSecond);
            for (long i = 0; running.get(); i++) {
                pacer.awaitTurn(i);
                send(i);
            }
        }, "numbered-producer-" + topic);
        sender.setDaemon(true);
        sender.start();
    }

    /** Stops the background sending and waits until every record sent is acknowledged or failed. */
    public synchronized void stop() {
        running.set(false);
        if (sender != null) {
            try {
                sender.join(Duration.ofSeconds(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sender = null;
        }
        flush();
    }

    /** Waits until every record sent so far is acknowledged or failed. */
    public void flush() {
        producer.flush();
    }

    /** How many records were handed to the producer. */
    public long sent() {
        return next.get();
    }

    @Override
    public void close() {
        stop();
        producer.close();
    }
}
