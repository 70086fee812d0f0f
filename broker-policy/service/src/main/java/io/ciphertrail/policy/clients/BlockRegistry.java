package io.ciphertrail.policy.clients;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's own record of the DENY ACLs it placed, in a compacted topic (key {@code host|principal},
 * value {@code v1;<expiry millis>;<resource types>}, a tombstone once lifted). Each entry is written, and
 * acknowledged, before the ACLs it names are created, so whatever happens next (a crash, an aborted
 * transaction, a reset of the service's Kafka Streams state) the service knows which ACLs are its own, and
 * removes those and never an operator's. Read in full at start; written synchronously; rare.
 */
final class BlockRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockRegistry.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** A block: until when, and the resource types whose DENY bindings this service created. */
    record Block(String principal, String host, long expiresAtMs, Set<ResourceType> created) {
        String key() {
            return host + "|" + principal;
        }
    }

    private final String topic;
    private final KafkaProducer<String, String> producer;
    private final Map<String, Block> blocks = new ConcurrentHashMap<>();

    BlockRegistry(Map<String, Object> clientConfigs, String topic) {
        this.topic = topic;
        load(clientConfigs);
        Map<String, Object> props = new HashMap<>(clientConfigs);
        props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    Optional<Block> get(String principal, String host) {
        return Optional.ofNullable(blocks.get(host + "|" + principal));
    }

    List<Block> expired(long nowMs) {
        return blocks.values().stream().filter(block -> block.expiresAtMs() <= nowMs).toList();
    }

    /** Records {@code block}; returns once the cluster has it. */
    void put(Block block) {
        List<String> types = block.created().stream().map(ResourceType::name).sorted().toList();
        send(block.key(), "v1;" + block.expiresAtMs() + ";" + String.join(",", types));
        blocks.put(block.key(), block);
    }

    void remove(Block block) {
        send(block.key(), null);
        blocks.remove(block.key());
    }

    private void send(String key, String value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot record the block of " + key + " in '" + topic + "': "
                    + (e.getCause() != null ? e.getCause().getMessage() : e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while recording a block", e);
        }
    }

    private void load(Map<String, Object> clientConfigs) {
        Map<String, Object> props = new HashMap<>(clientConfigs);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, TIMEOUT).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Cannot read the blocks topic '" + topic + "' to its end within " + TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    apply(record.key(), record.value());
                }
            }
        }
        if (!blocks.isEmpty()) {
            LOG.info("{} block(s) placed earlier by this service are in force; each is lifted when it expires", blocks.size());
        }
    }

    private void apply(String key, String value) {
        if (key == null) {
            return;
        }
        if (value == null) {
            blocks.remove(key);
            return;
        }
        String[] parts = value.split(";", 3);
        int bar = key.indexOf('|');
        if (parts.length < 3 || !parts[0].equals("v1") || bar <= 0) {
            LOG.warn("Ignoring an entry of the blocks topic '{}' that this service did not write", topic);
            return;
        }
        try {
            Set<ResourceType> created = EnumSet.noneOf(ResourceType.class);
            Arrays.stream(parts[2].split(",")).filter(t -> !t.isEmpty()).map(ResourceType::valueOf).forEach(created::add);
            blocks.put(key, new Block(key.substring(bar + 1), key.substring(0, bar), Long.parseLong(parts[1]), created));
        } catch (IllegalArgumentException e) {
            LOG.warn("Ignoring an unreadable entry of the blocks topic '{}': {}", topic, e.getMessage());
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
