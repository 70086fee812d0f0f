package io.ciphertrail.policy;

import io.ciphertrail.core.io.ServiceMain;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.policy.gate.QuarantiningExceptionHandler;
import io.ciphertrail.policy.http.HealthServer;
import io.ciphertrail.policy.rules.PolicyBook;
import io.ciphertrail.policy.rules.PolicyFile;
import io.ciphertrail.policy.rules.PolicyTopic;
import io.ciphertrail.schemas.policy.Policy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.MetricName;
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

    private PolicyService(KafkaStreams streams, HealthServer health, ServiceMetrics metrics, AtomicReference<PolicyBook> policies) {
        this.streams = streams;
        this.health = health;
        this.metrics = metrics;
        this.policies = policies;
    }

    /** Checks the settings, prepares topics and policies, and starts the service. */
    public static PolicyService start(Map<String, ?> settings) {
        PolicyServiceConfig config = new PolicyServiceConfig(settings);
        Map<String, Object> kafka = TlsConfig.secureClientConfigs(config.kafkaSettings());
        Properties streamsProperties = streamsProperties(kafka, config);
        String applicationId = streamsProperties.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        new StreamsConfig(streamsProperties);

        List<Policy> fromFile = config.getString(PolicyServiceConfig.POLICIES_FILE_CONFIG).isBlank()
                ? null : PolicyFile.read(Path.of(config.getString(PolicyServiceConfig.POLICIES_FILE_CONFIG)));
        ServiceTopics.ensure(config, kafka);
        if (fromFile != null) {
            PolicyTopic.apply(kafka, config.getString(PolicyServiceConfig.POLICIES_TOPIC_CONFIG), fromFile);
            LOG.info("Published {} policies from {}", fromFile.size(), config.getString(PolicyServiceConfig.POLICIES_FILE_CONFIG));
        }

        ServiceMetrics metrics = new ServiceMetrics();
        AtomicReference<PolicyBook> policies = new AtomicReference<>(PolicyBook.EMPTY);
        KafkaStreams streams = new KafkaStreams(PolicyTopology.build(config, kafka, policies, metrics, applicationId), streamsProperties);
        streams.setUncaughtExceptionHandler(error -> {
            LOG.error("The policy service stops on an error it cannot handle; unprocessed records stay in their topics", error);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        HealthServer health = new HealthServer(config.getString(PolicyServiceConfig.HTTP_HOST_CONFIG),
                config.getInt(PolicyServiceConfig.HTTP_PORT_CONFIG), streams::state, () -> metrics.render(gauges(streams)));
        try {
            streams.start();
        } catch (RuntimeException e) {
            health.close();
            throw e;
        }
        LOG.info("Policy service '{}' started; gate reads topics matching '{}'; health and metrics on port {}",
                applicationId, config.ingressPattern(), health.port());
        return new PolicyService(streams, health, metrics, policies);
    }

    /**
     * Kafka Streams settings: the user's, with exactly-once processing and the quarantining exception
     * handlers, which may not be replaced since they are what guarantees that no record is lost.
     */
    static Properties streamsProperties(Map<String, Object> kafka, PolicyServiceConfig config) {
        Map<String, Object> streams = new HashMap<>(kafka);
        streams.putIfAbsent(StreamsConfig.APPLICATION_ID_CONFIG, PolicyServiceConfig.DEFAULT_APPLICATION_ID);
        Object guarantee = streams.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        if (guarantee != null && !StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee.toString())) {
            throw new ConfigException(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee,
                    "the gate must put every record in exactly one of egress or quarantine; remove the setting (exactly_once_v2 is used)");
        }
        // The gate subscribes by pattern; a new ingress topic is found at the next metadata refresh, so refresh often.
        streams.putIfAbsent(CommonClientConfigs.METADATA_MAX_AGE_CONFIG, 10_000);
        String handler = QuarantiningExceptionHandler.class.getName();
        streams.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, handler);
        streams.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, handler);
        streams.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, handler);
        streams.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.getString(PolicyServiceConfig.QUARANTINE_TOPIC_CONFIG));
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

    private static Map<String, Double> gauges(KafkaStreams streams) {
        double lag = 0;
        for (Map.Entry<MetricName, ? extends org.apache.kafka.common.Metric> entry : streams.metrics().entrySet()) {
            if (entry.getKey().name().equals("records-lag-max") && entry.getValue().metricValue() instanceof Double value
                    && !value.isNaN()) {
                lag = Math.max(lag, value);
            }
        }
        return Map.of("ciphertrail_streams_records_lag_max", lag,
                "ciphertrail_streams_running", streams.state() == KafkaStreams.State.RUNNING ? 1.0 : 0.0);
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

    public int httpPort() {
        return health.port();
    }

    /**
     * Stops after the records in flight are committed, and leaves the consumer group so a restarted or
     * remaining instance takes over at once instead of after the session timeout.
     */
    @Override
    public void close() {
        streams.close(org.apache.kafka.streams.CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        health.close();
    }

    public static void main(String[] args) throws InterruptedException {
        ServiceMain.run("policy service", args, PolicyService::start);
    }
}
