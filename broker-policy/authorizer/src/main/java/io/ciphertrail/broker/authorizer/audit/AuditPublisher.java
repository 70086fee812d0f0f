package io.ciphertrail.broker.authorizer.audit;

import io.ciphertrail.broker.authorizer.SecureTransportConfig;
import io.ciphertrail.schemas.audit.AuditEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit thread: once per window it drains the {@link AuditAggregator}, logs every event as one
 * JSON line (logger {@value #AUDIT_LOGGER}) and publishes it to the audit topic.
 *
 * <p>Nothing here can hold up authorization or broker start-up. The producer and the admin client
 * are created on this thread, on first use, and only after the broker answers; while the cluster is
 * starting or the topic is missing, events wait in a bounded buffer (oldest dropped first, counted)
 * and the thread retries with back-off. Every event has been logged before it is buffered, so the log
 * is complete even when the topic is not.
 */
public final class AuditPublisher implements AutoCloseable {
    /** The logger every audit event is written to, one line each: route it to its own appender. */
    public static final String AUDIT_LOGGER = "io.ciphertrail.audit";

    private static final Logger LOG = LoggerFactory.getLogger(AuditPublisher.class);
    private static final Logger AUDIT = LoggerFactory.getLogger(AUDIT_LOGGER);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    private static final long MIN_BACKOFF_MS = 500;

    private final SecureTransportConfig config;
    private final Optional<AuditClientSettings> clientSettings;
    private final AuditAggregator aggregator;
    private final AuditEvents events;
    private final AuditMetrics metrics;
    private final String clientId;
    private final ScheduledExecutorService thread;
    private final ArrayDeque<AuditEvent> buffer = new ArrayDeque<>();

    private Producer<byte[], byte[]> producer;
    private Admin admin;
    private boolean topicReady;
    private long nextAttemptMs;
    private long backoffMs = MIN_BACKOFF_MS;
    private boolean warnedMissingTopic;
    private boolean warnedUnreachable;
    private boolean warnedSendFailure;

    /**
     * @param clientSettings how to reach the cluster, or empty to only log events
     * @param clientId       client.id of the audit producer and admin client (unique per node and role)
     */
    public AuditPublisher(SecureTransportConfig config, Optional<AuditClientSettings> clientSettings, AuditAggregator aggregator,
                          AuditEvents events, AuditMetrics metrics, String clientId) {
        this.config = config;
        this.clientSettings = clientSettings;
        this.aggregator = aggregator;
        this.events = events;
        this.metrics = metrics;
        this.clientId = clientId;
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, clientId);
            t.setDaemon(true);
            return t;
        });
        metrics.pendingEvents(this::pending);
    }

    public void start() {
        long window = config.auditWindowMs();
        thread.scheduleWithFixedDelay(() -> runWindow(true), window, window, TimeUnit.MILLISECONDS);
        LOG.info("Audit events: logged to logger '{}'{}, aggregated per {} ms", AUDIT_LOGGER,
                clientSettings.map(s -> " and published to topic '" + config.auditTopic() + "' via " + s).orElse(" only (publishing is off)"),
                window);
    }

    private synchronized long pending() {
        return buffer.size();
    }

    /** One window: never throws, so the schedule survives anything. Connects only if {@code connect}. */
    private void runWindow(boolean connect) {
        try {
            List<AuditAggregator.Drained> drained = aggregator.drain();
            for (AuditAggregator.Drained aggregate : drained) {
                AuditEvent event = events.toEvent(aggregate);
                AUDIT.info(AuditEvents.toJsonLine(event));
                if (clientSettings.isPresent()) {
                    buffer(event);
                }
            }
            if (clientSettings.isPresent() && (connect || topicReady)) {
                publishBuffered();
            }
        } catch (RuntimeException | Error e) {
            LOG.error("Audit window failed; events of this window may be missing from the audit topic (the log has those written so far)", e);
        }
    }

    private synchronized void buffer(AuditEvent event) {
        if (buffer.size() >= config.auditBufferEvents()) {
            buffer.pollFirst();
            metrics.eventDropped();
        }
        buffer.addLast(event);
    }

    private synchronized AuditEvent nextBuffered() {
        return buffer.pollFirst();
    }

    private void publishBuffered() {
        if (!ready()) {
            return;
        }
        AuditEvent event;
        while ((event = nextBuffered()) != null) {
            byte[] key = event.getAuthorization() != null
                    ? event.getAuthorization().getClientAddress().getBytes(StandardCharsets.UTF_8) : null;
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(config.auditTopic(), key, encode(event));
            try {
                producer.send(record, (metadata, error) -> {
                    if (error == null) {
                        metrics.eventPublished();
                    } else {
                        metrics.eventFailed();
                        if (!warnedSendFailure) {
                            warnedSendFailure = true;
                            LOG.warn("Could not publish an audit event to '{}': {} (it was logged; further failures are counted"
                                    + " in audit-events-failed-total and logged at DEBUG)", config.auditTopic(), error.toString());
                        } else {
                            LOG.debug("Could not publish an audit event: {}", error.toString());
                        }
                    }
                });
            } catch (RuntimeException e) {
                metrics.eventFailed();
                LOG.warn("Could not hand an audit event to the producer: {}", e.toString());
                topicReady = false;
                return;
            }
        }
    }

    static byte[] encode(AuditEvent event) {
        try {
            ByteBuffer encoded = event.toByteBuffer();
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connects and checks the topic at most once per back-off period; true when events can be sent. */
    private boolean ready() {
        if (topicReady) {
            return true;
        }
        long now = System.currentTimeMillis();
        if (now < nextAttemptMs) {
            return false;
        }
        try {
            if (admin == null) {
                admin = Admin.create(adminSettings());
            }
            if (!topicExists()) {
                if (!config.createAuditTopic()) {
                    if (!warnedMissingTopic) {
                        warnedMissingTopic = true;
                        LOG.warn("[{}] The audit topic '{}' does not exist and {}=false: audit events are logged and kept (up to {}) until"
                                + " it exists. Create it, e.g.: kafka-topics.sh --bootstrap-server {} --command-config admin.properties"
                                + " --create --topic {} --partitions 3 --replication-factor 3 --config min.insync.replicas=2",
                                clientId, config.auditTopic(), SecureTransportConfig.AUDIT_TOPIC_CREATE_CONFIG, config.auditBufferEvents(),
                                clientSettings.get().bootstrapServers(), config.auditTopic());
                    }
                    backOff(now);
                    return false;
                }
                createTopic();
            }
            if (producer == null) {
                producer = new KafkaProducer<>(producerSettings(), new ByteArraySerializer(), new ByteArraySerializer());
            }
            topicReady = true;
            backoffMs = MIN_BACKOFF_MS;
            LOG.info("[{}] Publishing audit events to '{}'", clientId, config.auditTopic());
            return true;
        } catch (TimeoutException | ExecutionException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            if (!warnedUnreachable) {
                warnedUnreachable = true;
                LOG.info("[{}] The audit topic '{}' is not reachable yet ({}); events are logged and kept, retrying in the background",
                        clientId, config.auditTopic(), cause.toString());
            } else {
                LOG.debug("Audit topic still not reachable: {}", cause.toString());
            }
            backOff(now);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean topicExists() throws InterruptedException, ExecutionException, TimeoutException {
        try {
            admin.describeTopics(Set.of(config.auditTopic())).allTopicNames().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return false;
            }
            throw e;
        }
    }

    private void createTopic() throws InterruptedException, ExecutionException, TimeoutException {
        int partitions = config.auditTopicPartitions();
        short replication = config.auditTopicReplicationFactor();
        NewTopic topic = new NewTopic(config.auditTopic(),
                partitions > 0 ? Optional.of(partitions) : Optional.empty(),
                replication > 0 ? Optional.of(replication) : Optional.empty());
        try {
            admin.createTopics(List.of(topic)).all().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Created the audit topic '{}' (partitions {}, replication factor {})", config.auditTopic(),
                    partitions > 0 ? partitions : "broker default", replication > 0 ? replication : "broker default");
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    private void backOff(long now) {
        nextAttemptMs = now + backoffMs;
        backoffMs = Math.min(config.auditRetryBackoffMaxMs(), backoffMs * 2);
    }

    private Map<String, Object> adminSettings() {
        Map<String, Object> settings = clientSettings.get().clientSettings();
        settings.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId + "-admin");
        settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT.toMillis());
        settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT.toMillis());
        settings.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 10_000);
        return settings;
    }

    private Map<String, Object> producerSettings() {
        Map<String, Object> settings = clientSettings.get().clientSettings();
        settings.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        settings.put(ProducerConfig.ACKS_CONFIG, "all");
        settings.put(ProducerConfig.LINGER_MS_CONFIG, 50);
        settings.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) CALL_TIMEOUT.toMillis());
        settings.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 8L * 1024 * 1024);
        settings.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 10_000);
        settings.putAll(config.auditProducerOverrides());
        return settings;
    }

    /** Publishes the last window and stops, waiting a bounded time for the broker to acknowledge. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
            // The final window: log it always; publish it only over a connection that already works.
            runWindow(false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (producer != null) {
                producer.close(Duration.ofSeconds(3));
            }
            if (admin != null) {
                admin.close(Duration.ofSeconds(1));
            }
        }
    }
}
