package io.ciphertrail.faults;

import io.ciphertrail.embedded.SecureKafkaCluster;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Settings for secure clients that ride out a node failure in seconds: the cluster's mutual TLS settings
 * for an identity, the shared {@link LocalKeys}, and requests that give up on a frozen node after 10 s
 * (Kafka's default is 30 s) so they are retried on the new leader sooner. Durability stays where the
 * secure producer puts it: acks=all, idempotence on, and two minutes for a record to be delivered.
 */
public final class SecureClientSettings {
    private SecureClientSettings() {
    }

    public static Map<String, Object> producer(SecureKafkaCluster cluster, String identity, LocalKeys keys) {
        Map<String, Object> settings = common(cluster, identity, keys);
        settings.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        return settings;
    }

    public static Map<String, Object> consumer(SecureKafkaCluster cluster, String identity, LocalKeys keys) {
        Map<String, Object> settings = common(cluster, identity, keys);
        settings.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        settings.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
        return settings;
    }

    private static Map<String, Object> common(SecureKafkaCluster cluster, String identity, LocalKeys keys) {
        Map<String, Object> settings = new HashMap<>(cluster.clientProperties(identity));
        settings.putAll(keys.settings());
        settings.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        settings.put(CommonClientConfigs.CLIENT_ID_CONFIG, identity);
        return settings;
    }
}
