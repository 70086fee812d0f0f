package io.ciphertrail.bench.e2e;

import io.ciphertrail.consumer.SecureConsumer;
import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.producer.SecureProducerConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The clients of each scenario. Every producer runs with {@code acks=all} and idempotence on (what
 * SecureProducer enforces), every consumer reads committed records only; everything else is Kafka's
 * defaults, the same for all scenarios.
 */
final class Clients {
    private final Platform platform;
    private int sequence;

    Clients(Platform platform) {
        this.platform = platform;
    }

    /** The topic a scenario's producer writes to, for records that readers consume from {@code topic}. */
    static String sendTopic(Scenario scenario, String topic) {
        return scenario.gated() ? topic + ".ingress" : topic;
    }

    Producer<byte[], byte[]> producer(Scenario scenario, String topic) {
        Map<String, Object> configs = base(scenario);
        configs.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-producer-" + scenario.slug + "-" + (++sequence));
        configs.put(ProducerConfig.ACKS_CONFIG, "all");
        configs.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        if (scenario.encrypted()) {
            configs.putAll(platform.kmsSettings());
            if (scenario.gated()) {
                configs.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, sendTopic(scenario, topic) + ":" + topic);
            }
            return new SecureProducer<>(configs, new ByteArraySerializer(), new ByteArraySerializer());
        }
        return new KafkaProducer<>(configs, new ByteArraySerializer(), new ByteArraySerializer());
    }

    Consumer<byte[], byte[]> consumer(Scenario scenario) {
        Map<String, Object> configs = base(scenario);
        configs.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-consumer-" + scenario.slug + "-" + (++sequence));
        configs.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        configs.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        configs.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        if (scenario.encrypted()) {
            configs.putAll(platform.kmsSettings());
            return new SecureConsumer<>(configs, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }
        return new KafkaConsumer<>(configs, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private Map<String, Object> base(Scenario scenario) {
        if (scenario == Scenario.PLAINTEXT) {
            Map<String, Object> configs = new HashMap<>();
            configs.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, platform.plaintextBootstrap());
            configs.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
            return configs;
        }
        Map<String, Object> configs = new HashMap<>(platform.clientSettings(Platform.BENCH_IDENTITY));
        configs.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                scenario == Scenario.KROXYLICIOUS ? platform.proxyBootstrap() : platform.tlsBootstrap());
        return configs;
    }
}
