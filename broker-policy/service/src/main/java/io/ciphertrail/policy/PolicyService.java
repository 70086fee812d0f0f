package io.ciphertrail.policy;

import io.ciphertrail.core.io.ServiceMain;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.policy.clients.AclBlocker;
import io.ciphertrail.policy.clients.Unblockable;
import io.ciphertrail.policy.delivery.OutputWatch;
import io.ciphertrail.policy.delivery.ProducerLimits;
import io.ciphertrail.policy.delivery.TopicCatalog;
import io.ciphertrail.policy.delivery.WriteFailures;
import io.ciphertrail.policy.gate.Destinations;
import io.ciphertrail.policy.gate.QuarantiningExceptionHandler;
import io.ciphertrail.policy.http.HealthServer;
import io.ciphertrail.policy.metrics.KafkaStreamsMetrics;
import io.ciphertrail.policy.metrics.ServiceMetrics;
import io.ciphertrail.policy.metrics.TransactionCounts;
import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.rules.PolicyBook;
import io.ciphertrail.policy.rules.PolicyFile;
import io.ciphertrail.policy.rules.PolicyTopic;
import io.ciphertrail.schemas.policy.Policy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ciphertrail policy service: the gate, the insecure-client monitor and the health and metrics
 * endpoint, on Kafka Streams with exactly-once processing. It never holds data keys.
 *
 * <pre>
 * java -jar ciphertrail-policy-service.jar service.properties
 * </pre>
 *
 * Everything that can be wrong with the configuration (TLS settings, ciphertrail keys, the policy
 * file, missing topics) is reported before anything runs.
 */
public final class PolicyService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyService.class);

    private final KafkaStreams streams;
    private final HealthServer health;
    private final ServiceMetrics metrics;
    private final AtomicReference<PolicyBook> policies;
    private final WriteFailures writeFailures;
    private final CountDownLatch closing;
    private final List<AutoCloseable> resources;

    private PolicyService(KafkaStreams streams, HealthServer health, ServiceMetrics metrics, AtomicReference<PolicyBook> policies,
                          WriteFailures writeFailures, CountDownLatch closing, List<AutoCloseable> resources) {
        this.streams = streams;
        this.health = health;
        this.metrics = metrics;
        this.policies = policies;
        this.writeFailures = writeFailures;
        this.closing = closing;
        this.resources = resources;
    }

    /** Checks the settings, prepares topics and policies, and starts the service. */
    public static PolicyService start(Map<String, ?> settings) {
        PolicyServiceConfig config = new PolicyServiceConfig(settings);
        Map<String, Object> kafka = TlsConfig.secureClientConfigs(config.kafkaSettings());
        WriteFailures writeFailures = new WriteFailures(config.getLong(PolicyServiceConfig.RETRY_BACKOFF_MS_CONFIG),
                config.getLong(PolicyServiceConfig.RETRY_BACKOFF_MAX_MS_CONFIG));
        Properties streamsProperties = streamsProperties(kafka, config, writeFailures);
        String applicationId = streamsProperties.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        new StreamsConfig(streamsProperties);
        config.requireIngressPatternClearOf(config.reservedTopics(applicationId));

        List<Policy> fromFile = config.getString(PolicyServiceConfig.POLICIES_FILE_CONFIG).isBlank()
                ? null : PolicyFile.read(Path.of(config.getString(PolicyServiceConfig.POLICIES_FILE_CONFIG)));
        String clusterId;
        Unblockable unblockable;
        try (Admin admin = Admin.create(kafka)) {
            ServiceTopics.ensure(config, admin);
            clusterId = clusterId(admin);
            unblockable = Unblockable.of(config, kafka, admin);
            WriterCheck.warnAboutOtherWriters(admin, config, unblockable);
        }
        if (fromFile != null) {
            PolicyTopic.apply(kafka, config.getString(PolicyServiceConfig.POLICIES_TOPIC_CONFIG), fromFile);
            LOG.info("Published {} policies from {}", fromFile.size(), config.getString(PolicyServiceConfig.POLICIES_FILE_CONFIG));
        }

        List<AutoCloseable> resources = new ArrayList<>();
        HealthServer health = null;
        try {
            TopicCatalog topics = new TopicCatalog(Admin.create(kafka), config.getLong(PolicyServiceConfig.TOPICS_REFRESH_MS_CONFIG));
            resources.add(topics);
            Destinations destinations = new Destinations(topics, ProducerLimits.of(streamsProperties),
                    config.getString(PolicyServiceConfig.QUARANTINE_TOPIC_CONFIG), config.getString(PolicyServiceConfig.TRAIL_TOPIC_CONFIG));
            AclBlocker blocker = new AclBlocker(kafka, config.getString(PolicyServiceConfig.BLOCKS_TOPIC_CONFIG), unblockable);
            resources.add(blocker);

            ServiceMetrics metrics = new ServiceMetrics();
            AtomicReference<PolicyBook> policies = new AtomicReference<>(PolicyBook.EMPTY);
            TransactionCounts transactions = new TransactionCounts();
            KafkaStreams streams = new KafkaStreams(PolicyTopology.build(config, kafka, policies, metrics, applicationId, destinations,
                    clusterId, blocker), streamsProperties, transactions);
            KafkaStreamsMetrics.register(metrics.registry(), streams::metrics, streams::state, transactions, writeFailures::report);
            CountDownLatch closing = new CountDownLatch(1);
            streams.setUncaughtExceptionHandler(error -> replaceThreadAfterBackOff(error, writeFailures, closing));
            topics.onRefresh(new OutputWatch(destinations::outputProblem, writeFailures, streams::pause, streams::resume));
            health = new HealthServer(config.getString(PolicyServiceConfig.HTTP_HOST_CONFIG),
                    config.getInt(PolicyServiceConfig.HTTP_PORT_CONFIG), streams::state, writeFailures::report, metrics);
            streams.start();
            LOG.info("Policy service '{}' started; gate reads topics matching '{}'; health and metrics on port {}",
                    applicationId, config.ingressPattern(), health.port());
            return new PolicyService(streams, health, metrics, policies, writeFailures, closing, resources);
        } catch (RuntimeException e) {
            if (health != null) {
                health.close();
            }
            closeAll(resources);
            throw e;
        }
    }

    /**
     * A stream thread died on an error nobody could foresee (a write the brokers refused although it was
     * checked, a fault in the service). Its transaction is aborted, so nothing it processed is committed; wait
     * (doubling, up to {@code ciphertrail.retry.backoff.max.ms}) and start a new thread that processes those
     * records again (once the group gives it the partitions: within the consumer's session.timeout.ms). Never
     * a crash loop, never a skipped record. The global thread (policies) cannot be replaced: Kafka Streams then
     * stops the service, and /health says DOWN.
     */
    private static StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse replaceThreadAfterBackOff(Throwable error, WriteFailures failures,
                                                                                                         CountDownLatch closing) {
        long wait = failures.failed(error);
        LOG.error("Processing stopped on an error; nothing since the last commit is lost or skipped, and a new thread processes it"
                + " again in {} ms: {}", wait, failures.report().lastError(), error);
        try {
            if (closing.await(wait, TimeUnit.MILLISECONDS)) {
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    private static String clusterId(Admin admin) {
        try {
            return admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot read the cluster id: " + (e.getCause() != null ? e.getCause().getMessage() : e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while reading the cluster id", e);
        }
    }

    /**
     * Kafka Streams settings: the user's, with exactly-once processing and the quarantining exception
     * handlers, which may not be replaced since they are what guarantees that no record is lost; and a
     * producer that sends uncompressed records of up to 1 MiB plus room for quarantine reason headers, so
     * every size the gate checks is the size Kafka sees.
     */
    static Properties streamsProperties(Map<String, Object> kafka, PolicyServiceConfig config, WriteFailures writeFailures) {
        Map<String, Object> streams = new HashMap<>(kafka);
        streams.putIfAbsent(StreamsConfig.APPLICATION_ID_CONFIG, PolicyServiceConfig.DEFAULT_APPLICATION_ID);
        Object guarantee = streams.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        if (guarantee != null && !StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee.toString())) {
            throw new ConfigException(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee,
                    "the gate must put every record in exactly one of egress or quarantine; remove the setting (exactly_once_v2 is used)");
        }
        for (String key : List.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG))) {
            Object compression = streams.get(key);
            if (compression != null && !"none".equalsIgnoreCase(compression.toString().trim())) {
                throw new ConfigException(key, compression, "the gate checks that every record fits its topic before sending it,"
                        + " which needs uncompressed batches (and encrypted records do not compress); remove the setting");
            }
        }
        if (!streams.containsKey(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)
                && !streams.containsKey(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG))) {
            streams.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                    ProducerLimits.DEFAULT_MAX_REQUEST_SIZE + QuarantineTopic.HEADROOM_BYTES);
        }
        // The gate subscribes by pattern; a new ingress topic is found at the next metadata refresh, so refresh often.
        streams.putIfAbsent(CommonClientConfigs.METADATA_MAX_AGE_CONFIG, 10_000);
        exactlyOnceDefaults(streams);
        String handler = QuarantiningExceptionHandler.class.getName();
        streams.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, handler);
        streams.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, handler);
        streams.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, handler);
        streams.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.getString(PolicyServiceConfig.QUARANTINE_TOPIC_CONFIG));
        streams.put(QuarantiningExceptionHandler.WRITE_FAILURES, writeFailures);
        // The handlers read the service's own keys, which Streams passes to them with the rest.
        config.originals().forEach((key, value) -> {
            if (key.startsWith("ciphertrail.")) {
                streams.putIfAbsent(key, value);
            }
        });
        Properties properties = new Properties();
        properties.putAll(streams);
        return properties;
    }

    /**
     * Producer defaults for the gate's transactions; an operator's setting wins, given plain ({@code batch.size}) or for the
     * producer alone ({@code producer.batch.size}).
     * <ul>
     *   <li>Batches of 256 KiB instead of 16 KiB. Each commit flushes the producer and waits for every batch, and the
     *       stream thread processes nothing meanwhile. A 100 ms transaction at 10,000 records/s holds about 1 MB of egress
     *       copies: in 16 KiB batches, five in flight per connection, that is some 14 produce round trips one after the other
     *       per commit, which held the thread in {@code flush()} for a third of its time and kept the gate below its ingress
     *       rate. In 256 KiB batches it is one round trip (benchmarks/README.md, "The gate at full speed").</li>
     *   <li>A retry back-off of 5 ms, at most 50 ms. Under exactly-once the first write of a transaction to a partition
     *       registers it with the transaction coordinator, and while the previous transaction's commit markers are still
     *       being written the broker answers CONCURRENT_TRANSACTIONS. With Kafka's back-off (100 ms doubling to 1 s) a record
     *       waited 100 ms to 1 s more each time, which made the p99 of a 10 ms commit interval worse than the default's. The
     *       markers take milliseconds.</li>
     *   <li>A linger of 20 ms instead of Kafka Streams' 100 ms. With 100 ms a batch that does not fill waits for the
     *       commit's flush, so the flush carried the interval's trail records (and, below full speed, its egress copies) in
     *       one round trip while the thread processed nothing. With 20 ms the records go out during the interval and the
     *       flush waits only for the last 20 ms; at full speed a 256 KiB batch fills within 20 ms, so batches stay full.
     *       Shorter lingers sent the first batch of a transaction while the previous one's markers were still being
     *       written, and met CONCURRENT_TRANSACTIONS more often (benchmarks/README.md, "The gate at full speed").</li>
     * </ul>
     */
    private static void exactlyOnceDefaults(Map<String, Object> streams) {
        producerDefault(streams, ProducerConfig.BATCH_SIZE_CONFIG, GATE_BATCH_SIZE);
        producerDefault(streams, ProducerConfig.LINGER_MS_CONFIG, GATE_LINGER_MS);
        producerDefault(streams, ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
        producerDefault(streams, ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 50);
    }

    /** The producer's batch size unless the operator sets one. */
    static final int GATE_BATCH_SIZE = 256 * 1024;
    /** How long the producer waits to fill a batch unless the operator sets it. */
    static final int GATE_LINGER_MS = 20;

    /** Sets {@code producer.<key>} unless the operator set {@code <key>} or {@code producer.<key>}. */
    private static void producerDefault(Map<String, Object> streams, String key, Object value) {
        if (!streams.containsKey(key)) {
            streams.putIfAbsent(StreamsConfig.producerPrefix(key), value);
        }
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The policies in force on this instance. */
    public PolicyBook policies() {
        return policies.get();
    }

    public ServiceMetrics metrics() {
        return metrics;
    }

    /** How writing goes: UP, or RETRYING after a write failed, with the last failure. */
    public WriteFailures.Report writes() {
        return writeFailures.report();
    }

    public int httpPort() {
        return health.port();
    }

    /**
     * Stops after the records in flight are committed, and leaves the consumer group so a restarted or
     * remaining instance takes over at once instead of after the session timeout.
     */
    @Override
    public void close() {
        closing.countDown();
        try {
            streams.close(org.apache.kafka.streams.CloseOptions.timeout(Duration.ofSeconds(30))
                    .withGroupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        } finally {
            health.close();
            closeAll(resources);
        }
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("Closing {} failed: {}", resource.getClass().getSimpleName(), e.toString());
            }
        }
    }

    public static void main(String[] args) throws InterruptedException {
        ServiceMain.run("policy service", args, PolicyService::start);
    }
}
