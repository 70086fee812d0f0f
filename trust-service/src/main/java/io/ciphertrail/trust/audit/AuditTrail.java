package io.ciphertrail.trust.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ciphertrail.schemas.audit.AuditEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trust service's one audit publisher, for every kind of event it records (key uses, identities). Request threads
 * only count, in the {@link Section}s; once per window a thread of its own drains them into {@link AuditEvent}s, logs
 * each as one JSON line on logger {@value #AUDIT_LOGGER} and publishes it to the audit topic. Auditing never holds up a
 * request: while the cluster is unreachable the producer buffers (bounded) and the log has every event.
 */
public final class AuditTrail implements AutoCloseable {
    /** The logger every audit event is written to, as by the broker authorizer: route it to its own appender. */
    public static final String AUDIT_LOGGER = "io.ciphertrail.audit";

    private static final Logger LOG = LoggerFactory.getLogger(AuditTrail.class);
    private static final Logger AUDIT = LoggerFactory.getLogger(AUDIT_LOGGER);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One event ready to go: its topic key (keeps one subject's events in order), the event and its log line. */
    record Entry(byte[] key, AuditEvent event, String jsonLine) {
    }

    /** A kind of event: counts on request threads, gives its window's events when drained. */
    interface Section {
        List<Entry> drain(String source);
    }

    private volatile String source;
    private final String topic;
    private final long windowMs;
    private final int maxAggregates;
    private final Optional<Producer<byte[], byte[]>> producer;
    private final ScheduledExecutorService thread;
    private final List<Section> sections = new CopyOnWriteArrayList<>();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean warnedFailure;

    /**
     * @param instance      this instance's name in the events' source ({@code crn:///trust-service=<instance>})
     * @param kafkaSettings secure client settings for the audit producer, or empty to only log events
     */
    public AuditTrail(String instance, String topic, Duration window, int maxAggregates, Optional<Map<String, Object>> kafkaSettings) {
        this.source = "crn:///trust-service=" + instance;
        this.topic = topic;
        this.windowMs = window.toMillis();
        this.maxAggregates = maxAggregates;
        this.producer = kafkaSettings.map(AuditTrail::producer);
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "ciphertrail-trust-audit");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::flush, windowMs, windowMs, TimeUnit.MILLISECONDS);
        LOG.info("Audit trail: logged to logger '{}'{}, aggregated per {} ms", AUDIT_LOGGER,
                producer.isPresent() ? " and published to topic '" + topic + "'" : " only (no bootstrap.servers: publishing is off)", windowMs);
    }

    private static Producer<byte[], byte[]> producer(Map<String, Object> settings) {
        Map<String, Object> configs = new HashMap<>(settings);
        configs.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "ciphertrail-trust-audit");
        configs.put(ProducerConfig.ACKS_CONFIG, "all");
        configs.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        configs.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 50);
        configs.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        configs.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, 8L * 1024 * 1024);
        return new KafkaProducer<>(configs, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A bounded aggregator for a section, counting what it drops in {@link #operationsDropped()}. */
    <K> AuditAggregator<K> aggregator() {
        return new AuditAggregator<>(maxAggregates, System::currentTimeMillis, dropped);
    }

    void add(Section section) {
        sections.add(section);
    }

    /** Names this instance in events from now on (once its port is known). */
    public void instance(String instance) {
        this.source = "crn:///trust-service=" + instance;
    }

    /**
     * Ends the current window now: logs and publishes what was counted. Never throws. Synchronized so that when it
     * returns, everything counted before the call is written, even what the window's own thread was draining.
     */
    public synchronized void flush() {
        try {
            for (Section section : sections) {
                for (Entry entry : section.drain(source)) {
                    AUDIT.info(entry.jsonLine());
                    producer.ifPresent(p -> publish(p, entry));
                }
            }
            producer.ifPresent(Producer::flush);
        } catch (RuntimeException | Error e) {
            LOG.error("An audit window failed; its events may be missing from the audit topic (the log has those written so far)", e);
        }
    }

    private void publish(Producer<byte[], byte[]> producer, Entry entry) {
        try {
            producer.send(new ProducerRecord<>(topic, entry.key(), encode(entry.event())), (metadata, error) -> {
                if (error == null) {
                    published.incrementAndGet();
                } else {
                    failed(error);
                }
            });
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void failed(Exception error) {
        failed.incrementAndGet();
        if (!warnedFailure) {
            warnedFailure = true;
            LOG.warn("Could not publish an audit event to '{}': {} (it was logged; further failures are counted"
                    + " in ciphertrail_key_audit_events_failed_total)", topic, error.toString());
        }
    }

    /** The fields every event's JSON line starts with; values callers chose are escaped by the JSON writer, so no one can forge log lines. */
    static ObjectNode jsonHeader(AuditEvent event) {
        return JSON.createObjectNode()
                .put("id", event.getId())
                .put("time", event.getTime().toString())
                .put("source", event.getSource())
                .put("type", event.getType())
                .put("eventType", event.getEventType().name())
                .put("subject", event.getSubject());
    }

    static byte[] encode(AuditEvent event) {
        try {
            ByteBuffer buffer = event.toByteBuffer();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long eventsPublished() {
        return published.get();
    }

    public long eventsFailed() {
        return failed.get();
    }

    /** Operations not counted in any event because a window held too many distinct ones. */
    public long operationsDropped() {
        return dropped.get();
    }

    /** Publishes the last window and stops, waiting a bounded time for the cluster to acknowledge. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
        producer.ifPresent(p -> p.close(Duration.ofSeconds(5)));
    }
}
