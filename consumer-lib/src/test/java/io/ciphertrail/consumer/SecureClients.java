package io.ciphertrail.consumer;

import static org.awaitility.Awaitility.await;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.embedded.SecureKafkaCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Client settings for tests: the cluster's mTLS settings for an identity plus a local KMS shared by the test. */
final class SecureClients {
    static final String KMS_SECRET = "kms-QPX77-never-logged";
    private final SecureKafkaCluster kafka;
    private final Map<String, Object> kms = new HashMap<>();

    SecureClients(SecureKafkaCluster kafka, Path dir) throws Exception {
        this.kafka = kafka;
        Path password = dir.resolve("kms-password");
        if (!Files.exists(password)) {
            SecureFiles.writeOwnerOnly(password, KMS_SECRET.getBytes(StandardCharsets.UTF_8));
        }
        kms.put(KmsConfig.TYPE_CONFIG, "local");
        kms.put(LocalKmsProvider.KEYSTORE_PATH_CONFIG, dir.resolve("keks.p12").toString());
        kms.put(LocalKmsProvider.PASSWORD_FILE_CONFIG, password.toString());
        if (!Files.exists(dir.resolve("keks.p12"))) {
            KmsConfig.initialize(kms);
        }
    }

    /** The KMS settings alone. */
    Map<String, Object> kms() {
        return new HashMap<>(kms);
    }

    /** Creates the KEK of each topic and the topic itself. */
    void topics(String... topics) {
        kafka.createTopics(1, topics);
        keks(topics);
    }

    /** Creates the KEK of each topic. */
    void keks(String... topics) {
        try (KmsAdmin admin = KmsConfig.admin(kms)) {
            for (String topic : topics) {
                admin.create("ciphertrail/topic/" + topic);
            }
        }
    }

    Map<String, Object> configs(String identity, Object... overrides) {
        Map<String, Object> configs = new HashMap<>(kafka.clientProperties(identity));
        configs.putAll(kms);
        for (int i = 0; i < overrides.length; i += 2) {
            configs.put((String) overrides[i], overrides[i + 1]);
        }
        return configs;
    }

    Map<String, Object> consumerConfigs(String identity, String group, Object... overrides) {
        Map<String, Object> configs = configs(identity, overrides);
        configs.put("group.id", group);
        configs.put("auto.offset.reset", "earliest");
        return configs;
    }

    /** Every record now in {@code topic} (one partition), read raw from its beginning: at least {@code atLeast}. */
    List<ConsumerRecord<byte[], byte[]>> rawRecords(String topic, int atLeast) {
        try (KafkaConsumer<byte[], byte[]> raw = new KafkaConsumer<>(consumerConfigs("operator", "raw-" + UUID.randomUUID()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            return read(raw, topic, atLeast);
        }
    }

    /** Reads partition 0 of {@code topic} (no group rebalance to wait for) until at least {@code atLeast} records came. */
    static <K, V> List<ConsumerRecord<K, V>> read(Consumer<K, V> consumer, String topic, int atLeast) {
        consumer.assign(List.of(new TopicPartition(topic, 0)));
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            return records.size() >= atLeast;
        });
        return records;
    }

    /** Polls, adding what comes to {@code records}, until a poll throws a record's failure (within 60 s): that failure, or null. */
    static <K, V> RecordDecryptionException pollUntilFailure(Consumer<K, V> consumer, List<ConsumerRecord<K, V>> records) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            } catch (RecordDecryptionException e) {
                return e;
            }
        }
        return null;
    }

    /** A raw record's key as text. */
    static String keyText(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }
}
