package io.ciphertrail.producer;

import io.ciphertrail.core.envelope.EnvelopeCrypto;
import io.ciphertrail.core.envelope.EnvelopeEncryptor;
import io.ciphertrail.core.metrics.CryptoMetrics;
import io.ciphertrail.core.tls.ClientCertificate;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.core.trace.TraceContext;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka {@link Producer} that refuses insecure transport, encrypts every selected record for its
 * topic, gives every record a trace ID and keeps durable delivery on.
 *
 * <pre>{@code
 * try (Producer<String, String> producer = new SecureProducer<>(configs, new StringSerializer(), new StringSerializer())) {
 *     ProducerRecord<String, String> record = new ProducerRecord<>("orders", "order-1", "{...}");
 *     producer.send(record);
 *     String traceId = SecureProducer.traceId(record).orElseThrow();
 * }
 * }</pre>
 *
 * Start-up fails with a {@link ConfigException} naming the setting for: a plaintext security protocol,
 * hostname verification off, old TLS versions, non-forward-secret cipher suites, no trust store, no
 * client certificate, and weakened durability ({@code acks} other than {@code all}, idempotence off).
 */
public class SecureProducer<K, V> implements Producer<K, V> {
    private static final Logger LOG = LoggerFactory.getLogger(SecureProducer.class);

    private final KafkaProducer<K, V> delegate;
    private final EnvelopeCrypto crypto;
    private final CryptoMetrics metrics;
    private final TopicSelection topics;
    private final EnvelopeEncryptor encryptor;
    private final boolean writesTraceHeader;

    public SecureProducer(Map<String, Object> configs, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        Map<String, Object> secured = durable(TlsConfig.secureClientConfigs(configs));
        SecureProducerConfig config = new SecureProducerConfig(secured);
        Object clientId = secured.get(ProducerConfig.CLIENT_ID_CONFIG);
        this.metrics = new CryptoMetrics("producer", clientId == null ? "" : clientId.toString(),
                new ClientCertificate(secured, Clock.systemUTC()));
        try {
            this.crypto = EnvelopeCrypto.create(secured, metrics);
            this.topics = new TopicSelection(config);
            this.encryptor = crypto.encryptor();
            this.writesTraceHeader = config.writesTraceHeader();
            this.delegate = new KafkaProducer<>(secured,
                    new SecureSerializer<>(keySerializer, crypto, config, true),
                    new SecureSerializer<>(valueSerializer, crypto, config, false));
        } catch (RuntimeException e) {
            metrics.close();
            throw e;
        }
    }

    public SecureProducer(Properties properties, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        this(Utils.propsToMap(properties), keySerializer, valueSerializer);
    }

    /** The settings of every Ciphertrail producer: TLS, KMS, envelope and producer keys. */
    public static org.apache.kafka.common.config.ConfigDef configDef() {
        return SecureProducerConfig.configDef();
    }

    /**
     * The trace ID given to a record that was sent: its {@code traceparent}, which the record passed to {@link #send}
     * keeps, whether or not the header travels (the envelope carries the trace either way).
     */
    public static Optional<String> traceId(ProducerRecord<?, ?> record) {
        return TraceContext.fromHeaders(record.headers()).map(TraceContext::traceId);
    }

    private static Map<String, Object> durable(Map<String, Object> configs) {
        boolean allowed = Boolean.parseBoolean(String.valueOf(configs.get(SecureProducerConfig.WEAK_DURABILITY_ALLOWED_CONFIG)));
        Object acks = configs.get(ProducerConfig.ACKS_CONFIG);
        if (acks != null && !acks.toString().trim().equals("all") && !acks.toString().trim().equals("-1")) {
            weakened(allowed, ProducerConfig.ACKS_CONFIG, acks, "a record acknowledged by fewer than all in-sync replicas can be lost");
        }
        Object idempotence = configs.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
        if (idempotence != null && !Boolean.parseBoolean(idempotence.toString().trim())) {
            weakened(allowed, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotence, "retried sends can write a record twice or out of order");
        }
        Map<String, Object> durable = new HashMap<>(configs);
        durable.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        durable.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return durable;
    }

    private static void weakened(boolean allowed, String setting, Object value, String risk) {
        if (!allowed) {
            throw new ConfigException(setting, value, "this weakens delivery: " + risk + ". Remove the setting"
                    + " (Ciphertrail uses acks=all and enable.idempotence=true), or set "
                    + SecureProducerConfig.WEAK_DURABILITY_ALLOWED_CONFIG + "=true to accept the risk.");
        }
        LOG.warn("Weakened delivery guarantee accepted ({}={}): {}", setting, value, risk);
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<K, V> record) {
        return send(record, null);
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<K, V> record, Callback callback) {
        if (record != null && record.topic() != null && topics.encrypts(record.topic())) {
            // Kafka serializes only after the topic's metadata arrived: get the data key meanwhile, not after.
            encryptor.prepare(topics.boundTopic(record.topic()));
            if (!writesTraceHeader) {
                // The serializer moves the trace into the envelope and drops the header from what is sent; the caller's
                // record keeps it, so traceId(record) answers after the send.
                TraceStamper.ensure(record.headers());
                record = new ProducerRecord<>(record.topic(), record.partition(), record.timestamp(), record.key(), record.value(),
                        new RecordHeaders(record.headers().toArray()));
            }
        }
        return delegate.send(record, callback);
    }

    @Override
    public void initTransactions() {
        delegate.initTransactions();
    }

    @Override
    public void beginTransaction() {
        delegate.beginTransaction();
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata groupMetadata) {
        delegate.sendOffsetsToTransaction(offsets, groupMetadata);
    }

    @Override
    public void commitTransaction() {
        delegate.commitTransaction();
    }

    @Override
    public void abortTransaction() {
        delegate.abortTransaction();
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        delegate.registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        delegate.unregisterMetricFromSubscription(metric);
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return delegate.partitionsFor(topic);
    }

    /** Kafka's producer metrics and Ciphertrail's. */
    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return metrics.withClientMetrics(delegate.metrics());
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return delegate.clientInstanceId(timeout);
    }

    @Override
    public void close() {
        close(Duration.ofMillis(Long.MAX_VALUE));
    }

    @Override
    public void close(Duration timeout) {
        try {
            delegate.close(timeout);
        } finally {
            crypto.close();
            metrics.close();
        }
    }
}
