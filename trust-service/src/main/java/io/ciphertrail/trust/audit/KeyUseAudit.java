package io.ciphertrail.trust.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.Decision;
import io.ciphertrail.schemas.audit.KeyUseInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
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
 * The key-use audit trail. Request threads only {@link #record count}; once per window a thread of its
 * own turns the counts into {@link AuditEvent}s, logs each as one JSON line on logger {@value #AUDIT_LOGGER}
 * and publishes it to the audit topic, keyed by alias so one key's events stay in order. Auditing never
 * holds up a key operation: while the cluster is unreachable the producer buffers (bounded) and the log
 * has every event.
 */
public final class KeyUseAudit implements AutoCloseable {
    /** The logger every audit event is written to, as by the broker authorizer: route it to its own appender. */
    public static final String AUDIT_LOGGER = "io.ciphertrail.audit";
    /** CloudEvents {@code type} of key-use events. */
    public static final String KEY_USE_TYPE = "io.ciphertrail.trust/key-use";

    private static final Logger LOG = LoggerFactory.getLogger(KeyUseAudit.class);
    private static final Logger AUDIT = LoggerFactory.getLogger(AUDIT_LOGGER);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KeyUseAggregator aggregator;
    private volatile String source;
    private final String topic;
    private final long windowMs;
    private final Optional<Producer<byte[], byte[]>> producer;
    private final ScheduledExecutorService thread;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile boolean warnedFailure;

    /**
     * @param instance      this instance's name in the events' source ({@code crn:///trust-service=<instance>})
     * @param kafkaSettings secure client settings for the audit producer, or empty to only log events
     */
    public KeyUseAudit(String instance, String topic, Duration window, int maxAggregates, Optional<Map<String, Object>> kafkaSettings) {
        this.aggregator = new KeyUseAggregator(maxAggregates, System::currentTimeMillis);
        this.source = "crn:///trust-service=" + instance;
        this.topic = topic;
        this.windowMs = window.toMillis();
        this.producer = kafkaSettings.map(KeyUseAudit::producer);
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "ciphertrail-key-audit");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::flush, windowMs, windowMs, TimeUnit.MILLISECONDS);
        LOG.info("Key-use audit: logged to logger '{}'{}, aggregated per {} ms", AUDIT_LOGGER,
                producer.isPresent() ? " and published to topic '" + topic + "'" : " only (no bootstrap.servers: publishing is off)", windowMs);
    }

    private static Producer<byte[], byte[]> producer(Map<String, Object> settings) {
        Map<String, Object> configs = new java.util.HashMap<>(settings);
        configs.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "ciphertrail-key-audit");
        configs.put(ProducerConfig.ACKS_CONFIG, "all");
        configs.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        configs.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 50);
        configs.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        configs.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, 8L * 1024 * 1024);
        return new KafkaProducer<>(configs, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Names this instance in events from now on (once its port is known). */
    public void instance(String instance) {
        this.source = "crn:///trust-service=" + instance;
    }

    /** Counts one operation. Called on request threads: never blocks on I/O. */
    public void record(KeyUse use) {
        aggregator.record(use);
    }

    /** Ends the current window now: logs and publishes what was counted. Never throws. */
    public void flush() {
        try {
            for (KeyUseAggregator.Aggregate aggregate : aggregator.drain()) {
                AuditEvent event = event(aggregate);
                AUDIT.info(jsonLine(event));
                producer.ifPresent(p -> publish(p, event));
            }
            producer.ifPresent(Producer::flush);
        } catch (RuntimeException | Error e) {
            LOG.error("Key-use audit window failed; its events may be missing from the audit topic (the log has those written so far)", e);
        }
    }

    private void publish(Producer<byte[], byte[]> producer, AuditEvent event) {
        byte[] key = event.getKeyUse().getAlias().getBytes(StandardCharsets.UTF_8);
        try {
            producer.send(new ProducerRecord<>(topic, key, encode(event)), (metadata, error) -> {
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
            LOG.warn("Could not publish a key-use audit event to '{}': {} (it was logged; further failures are counted"
                    + " in ciphertrail_key_audit_events_failed_total)", topic, error.toString());
        }
    }

    AuditEvent event(KeyUseAggregator.Aggregate aggregate) {
        KeyUse use = aggregate.use();
        KeyUseInfo info = KeyUseInfo.newBuilder()
                .setPrincipal(use.principal())
                .setClientAddress(use.clientAddress())
                .setOperation(use.operation())
                .setPermission(use.permission())
                .setAlias(use.alias())
                .setVersion(use.version())
                .setDecision(use.allowed() && !use.dryRun() ? Decision.ALLOWED : Decision.DENIED)
                .setDryRun(use.dryRun())
                .setRule(use.rule())
                .setReason(use.reason())
                .setResult(use.result())
                .setCount(aggregate.count())
                .setWindowStart(Instant.ofEpochMilli(aggregate.firstMs()))
                .setWindowEnd(Instant.ofEpochMilli(aggregate.lastMs()))
                .build();
        AuditEventType type = !use.allowed() ? AuditEventType.KEY_USE_DENIED
                : use.dryRun() ? AuditEventType.KEY_USE_DRY_RUN_DENIED : AuditEventType.KEY_USE_ALLOWED;
        return AuditEvent.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setSource(source)
                .setType(KEY_USE_TYPE)
                .setTime(Instant.ofEpochMilli(aggregate.lastMs()))
                .setSubject("crn:///kms/key=" + use.alias() + (use.version() > 0 ? "/version=" + use.version() : ""))
                .setEventType(type)
                .setKeyUse(info)
                .build();
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

    /** One line of JSON; values callers chose (aliases) are escaped by the JSON writer, so no one can forge log lines. */
    static String jsonLine(AuditEvent event) {
        KeyUseInfo k = event.getKeyUse();
        ObjectNode line = JSON.createObjectNode()
                .put("id", event.getId())
                .put("time", event.getTime().toString())
                .put("source", event.getSource())
                .put("type", event.getType())
                .put("eventType", event.getEventType().name())
                .put("subject", event.getSubject())
                .put("decision", k.getDecision().name())
                .put("dryRun", k.getDryRun())
                .put("principal", k.getPrincipal())
                .put("clientAddress", k.getClientAddress())
                .put("operation", k.getOperation())
                .put("permission", k.getPermission())
                .put("alias", k.getAlias())
                .put("version", k.getVersion())
                .put("rule", k.getRule())
                .put("reason", k.getReason())
                .put("result", k.getResult())
                .put("count", k.getCount())
                .put("windowStart", k.getWindowStart().toString())
                .put("windowEnd", k.getWindowEnd().toString());
        return line.toString();
    }

    public long eventsPublished() {
        return published.get();
    }

    public long eventsFailed() {
        return failed.get();
    }

    /** Operations not counted in any event because the window held too many distinct keys. */
    public long operationsDropped() {
        return aggregator.dropped();
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
