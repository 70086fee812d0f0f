package io.ciphertrail.policy.rules;

import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.schemas.PlatformSchemas;
import io.ciphertrail.schemas.policy.Policy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The compacted topic that holds the published policies: key = policy name, value = the policy in
 * Avro single-object encoding, tombstone = removed. Running services read it as a global table,
 * so what is published here applies without a restart.
 */
public final class PolicyTopic {
    public static final String DEFAULT_NAME = "ciphertrail.policies";

    static {
        PlatformSchemas.trust();
    }

    private PolicyTopic() {
    }

    public static Serde<Policy> serde() {
        Serializer<Policy> serializer = (topic, policy) -> policy == null ? null : encode(policy);
        Deserializer<Policy> deserializer = (topic, bytes) -> bytes == null ? null : decode(bytes);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    static byte[] encode(Policy policy) {
        try {
            ByteBuffer buffer = policy.toByteBuffer();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode policy " + policy.getName(), e);
        }
    }

    static Policy decode(byte[] bytes) {
        try {
            return Policy.fromByteBuffer(ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("A record in the policies topic is not a Ciphertrail policy: " + e.getMessage(), e);
        }
    }

    /**
     * Makes the topic hold exactly {@code policies}: publishes each, and removes (tombstones) those
     * published before but absent now. Returns the names removed.
     */
    public static Set<String> apply(Map<String, Object> clientConfigs, String topic, List<Policy> policies) {
        Set<String> removed = new HashSet<>(read(clientConfigs, topic).keySet());
        policies.forEach(p -> removed.remove(p.getName()));
        Map<String, Object> props = TlsConfig.secureClientConfigs(clientConfigs);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
            for (Policy policy : policies) {
                sends.add(producer.send(new ProducerRecord<>(topic, policy.getName(), encode(policy))));
            }
            for (String name : removed) {
                sends.add(producer.send(new ProducerRecord<>(topic, name, null)));
            }
            for (java.util.concurrent.Future<?> send : sends) {
                send.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("Publishing policies to " + topic + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while publishing policies", e);
        }
        return removed;
    }

    /** The policies currently published, by name (reads the topic from the beginning to its end). */
    public static Map<String, Policy> read(Map<String, Object> clientConfigs, String topic) {
        Map<String, Object> props = TlsConfig.secureClientConfigs(clientConfigs);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        Map<String, Policy> policies = new TreeMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value() == null) {
                        policies.remove(record.key());
                    } else {
                        policies.put(record.key(), decode(record.value()));
                    }
                }
            }
        }
        return policies;
    }
}
