package io.ciphertrail.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.policy.audit.AuditCodec;
import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.producer.SecureProducerConfig;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 mixed records through the gate, with the service killed (SIGKILL) part way and restarted:
 * every record ends in exactly one of egress or quarantine, none twice, none lost. With the full trail
 * ({@code ciphertrail.trail.full}), the trail holds exactly one audit event per gated record, written in the same
 * transactions: RECORD_FORWARDED for each forwarded record (the default writes a compact index entry instead).
 */
@WithSecureKafka(plaintextListener = true,
        authorizer = "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer",
        superUsers = {"User:policy-service", "User:orders-service", "User:legacy-service", "User:billing-service", "User:operator"},
        brokerProperties = {"ciphertrail.authorizer.audit.window.ms=1000", "ciphertrail.authorizer.audit.max.aggregates=1000"})
class ExactlyOnceTest {
    private static final int RECORDS = 1_000;

    @TempDir
    Path dir;

    @Test
    void everyRecordEndsInEgressOrQuarantineExactlyOnceAcrossACrash(EmbeddedSecureKafka kafka) throws Exception {
        Path password = dir.resolve("kms-password");
        SecureFiles.writeOwnerOnly(password, "kms-pw".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> kms = Map.of(KmsConfig.TYPE_CONFIG, "local", LocalKmsProvider.KEYSTORE_PATH_CONFIG, dir.resolve("keks.p12").toString(),
                LocalKmsProvider.PASSWORD_FILE_CONFIG, password.toString());
        KmsConfig.initialize(kms);
        try (KmsAdmin admin = KmsConfig.admin(kms)) {
            admin.create("ciphertrail/topic/eos");
            admin.create("ciphertrail/topic/elsewhere");
        }
        kafka.createTopics(3, "eos.ingress");
        kafka.createTopics(1, "eos");
        Path properties = serviceProperties(kafka);

        Process service = startService(properties, "first");
        try {
            Map<String, Object> client = new HashMap<>(kafka.clientProperties("orders-service"));
            client.putAll(kms);
            client.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, "eos.ingress:eos");
            Map<String, Object> misrouting = new HashMap<>(client);
            misrouting.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, "eos.ingress:elsewhere");
            try (SecureProducer<String, String> good = new SecureProducer<>(client, new StringSerializer(), new StringSerializer());
                 SecureProducer<String, String> misrouted = new SecureProducer<>(misrouting, new StringSerializer(), new StringSerializer());
                 KafkaProducer<byte[], byte[]> plain = new KafkaProducer<>(kafka.clientProperties("legacy-service"),
                         new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < RECORDS; i++) {
                    String key = "id-" + i;
                    if (i % 10 == 3) {
                        plain.send(new ProducerRecord<>("eos.ingress", key.getBytes(StandardCharsets.UTF_8), ("plain " + i).getBytes(StandardCharsets.UTF_8)));
                    } else if (i % 10 == 7) {
                        misrouted.send(new ProducerRecord<>("eos.ingress", key, "misrouted " + i));
                    } else {
                        good.send(new ProducerRecord<>("eos.ingress", key, "order " + i));
                    }
                    if (i % 100 == 99) {
                        good.flush();
                        plain.flush();
                        misrouted.flush();
                        if (i == 399) {
                            // Part way: some records are through the gate, others not yet. Kill without warning.
                            await().atMost(Duration.ofSeconds(90)).until(() -> count(kafka, "eos") > 0);
                            service.destroyForcibly().waitFor();
                            service = startService(properties, "restarted");
                        }
                        Thread.sleep(200);
                    }
                }
            }

            List<String> keys = new ArrayList<>();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).until(() -> {
                keys.clear();
                keys.addAll(keys(kafka, "eos"));
                keys.addAll(keys(kafka, "eos.quarantine"));
                return keys.size() >= RECORDS;
            });
            Thread.sleep(2_000);
            keys.clear();
            List<String> forwarded = keys(kafka, "eos");
            List<String> quarantined = keys(kafka, "eos.quarantine");
            keys.addAll(forwarded);
            keys.addAll(quarantined);

            Set<String> unique = new HashSet<>(keys);
            assertThat(keys).as("no record twice").hasSize(unique.size());
            assertThat(unique).as("every record once").hasSize(RECORDS);
            assertThat(forwarded).hasSize(RECORDS * 8 / 10);
            assertThat(quarantined).hasSize(RECORDS * 2 / 10);
            List<AuditEvent> trail = trailEvents(kafka);
            assertThat(trail).extracting(AuditEvent::getId).as("one trail event per gated record")
                    .hasSize(RECORDS).doesNotHaveDuplicates().allMatch(id -> id.startsWith("eos.ingress-"));
            assertThat(trail).filteredOn(e -> e.getEventType() == AuditEventType.RECORD_FORWARDED).hasSize(RECORDS * 8 / 10);
            assertThat(trail).filteredOn(e -> e.getEventType() == AuditEventType.RECORD_QUARANTINED).hasSize(RECORDS * 2 / 10);
        } finally {
            service.destroyForcibly().waitFor();
        }
    }

    private Path serviceProperties(EmbeddedSecureKafka kafka) throws IOException {
        Properties props = new Properties();
        kafka.clientProperties("policy-service").forEach((k, v) -> props.setProperty(k, v.toString()));
        props.setProperty("application.id", "eos-gate");
        props.setProperty("state.dir", dir.resolve("state").toString());
        props.setProperty(PolicyServiceConfig.INGRESS_PATTERN_CONFIG, "eos\\.ingress");
        props.setProperty(PolicyServiceConfig.QUARANTINE_TOPIC_CONFIG, "eos.quarantine");
        props.setProperty(PolicyServiceConfig.TRAIL_TOPIC_CONFIG, "eos.trail");
        props.setProperty(PolicyServiceConfig.TRAIL_FULL_CONFIG, "true");
        props.setProperty(PolicyServiceConfig.AUDIT_TOPIC_CONFIG, "eos.audit");
        props.setProperty(PolicyServiceConfig.ALERTS_TOPIC_CONFIG, "eos.alerts");
        props.setProperty(PolicyServiceConfig.POLICIES_TOPIC_CONFIG, "eos.policies");
        props.setProperty(PolicyServiceConfig.HTTP_PORT_CONFIG, "0");
        Path policies = dir.resolve("policies.yaml");
        Files.writeString(policies, "policies:\n  - {name: eos, from: eos.ingress, to: eos}\n");
        props.setProperty(PolicyServiceConfig.POLICIES_FILE_CONFIG, policies.toString());
        Path file = dir.resolve("service.properties");
        StringWriter out = new StringWriter();
        props.store(out, null);
        SecureFiles.writeOwnerOnly(file, out.toString().getBytes(StandardCharsets.UTF_8));
        return file;
    }

    private Process startService(Path properties, String name) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-cp", classpath, PolicyService.class.getName(), properties.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("service-" + name + ".log").toFile())
                .start();
    }

    private static long count(EmbeddedSecureKafka kafka, String topic) {
        return keys(kafka, topic).size();
    }

    /** The committed audit events on the trail; with the full trail, every trail record is one. */
    private static List<AuditEvent> trailEvents(EmbeddedSecureKafka kafka) {
        List<AuditEvent> events = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records(kafka, "eos.trail")) {
            events.add(AuditCodec.decode(record.value()).orElseThrow(() -> new AssertionError("not a full audit event at offset " + record.offset())));
        }
        return events;
    }

    /** Record keys of a topic, committed records only. */
    private static List<String> keys(EmbeddedSecureKafka kafka, String topic) {
        return records(kafka, topic).stream().map(r -> r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8)).toList();
    }

    /** The committed records of a topic. */
    private static List<ConsumerRecord<byte[], byte[]>> records(EmbeddedSecureKafka kafka, String topic) {
        Map<String, Object> configs = new HashMap<>(kafka.clientProperties("operator"));
        configs.put("isolation.level", "read_committed");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(configs, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            if (partitions.isEmpty()) {
                return records;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
