package io.ciphertrail.consumer;

import io.ciphertrail.core.envelope.EnvelopeCrypto;
import io.ciphertrail.core.metrics.CryptoMetrics;
import io.ciphertrail.core.tls.ClientCertificate;
import io.ciphertrail.core.tls.TlsConfig;
import java.time.Clock;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * What every secure consumer holds besides its Kafka client: settings that passed the TLS policy, the
 * {@code ciphertrail.*} configuration, metrics, the crypto and (batch) record decoder, and (when a failure
 * policy needs it) the dead-letter writer. {@link SecureConsumer} and {@link SecureShareConsumer} build
 * it the same way, so both refuse the same settings and decode records the same way.
 */
final class ConsumerSecurity<K, V> implements AutoCloseable {
    private final Map<String, Object> configs;
    private final SecureConsumerConfig config;
    private final CryptoMetrics metrics;
    private final EnvelopeCrypto crypto;
    private final BatchDecoder<K, V> decoder;
    private final DeadLetterWriter deadLetters;

    /**
     * @param role        the metric group's role ({@code ciphertrail-<role>-metrics})
     * @param deadLetters whether the consumer's failure policy writes to the dead-letter topic
     */
    ConsumerSecurity(Map<String, ?> configs, String role, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer,
                     Predicate<SecureConsumerConfig> deadLetters) {
        this.configs = TlsConfig.secureClientConfigs(configs);
        this.config = new SecureConsumerConfig(this.configs);
        Object clientId = this.configs.get(ConsumerConfig.CLIENT_ID_CONFIG);
        this.metrics = new CryptoMetrics(role, clientId == null ? "" : clientId.toString(),
                new ClientCertificate(this.configs, Clock.systemUTC()));
        EnvelopeCrypto createdCrypto = null;
        try {
            createdCrypto = EnvelopeCrypto.create(this.configs, metrics);
            this.deadLetters = deadLetters.test(config) ? new DeadLetterWriter(this.configs, config.deadLetterTopic()) : null;
        } catch (RuntimeException e) {
            if (createdCrypto != null) {
                createdCrypto.close();
            }
            metrics.close();
            throw e;
        }
        this.crypto = createdCrypto;
        this.decoder = new BatchDecoder<>(new RecordDecoder<>(crypto.decryptor(), keyDeserializer, valueDeserializer),
                config.decryptThreads());
    }

    /** The caller's settings with the TLS policy applied: what the Kafka client is built from. */
    Map<String, Object> configs() {
        return configs;
    }

    SecureConsumerConfig config() {
        return config;
    }

    CryptoMetrics metrics() {
        return metrics;
    }

    /** Decrypts a poll's records, on several threads when there are many, for the caller to decode in order. */
    BatchDecoder<K, V> decoder() {
        return decoder;
    }

    /** The dead-letter writer, or {@code null} when the failure policy does not write to a topic. */
    DeadLetterWriter deadLetters() {
        return deadLetters;
    }

    @Override
    public void close() {
        try {
            decoder.close();
            if (deadLetters != null) {
                deadLetters.close();
            }
        } finally {
            crypto.close();
            metrics.close();
        }
    }
}
