package io.ciphertrail.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.consumer.RecordDecryptionException;
import io.ciphertrail.consumer.SecureConsumer;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.remote.RemoteKmsProvider;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.schemas.PlatformSchemas;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mis-granted reader reveals nothing: a consumer whose ACLs let it read an encrypted topic, but whose
 * identity the key policy grants no DECRYPT on that topic's key, stops at the first record with
 * KMS_ACCESS_DENIED at that record's offset, gets no plaintext, and the denial is on the audit topic.
 */
@WithSecureKafka(authorizer = "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
class KeyAccessFollowsIdentityTest {
    private static final String SECRET = "card 4111-1111-1111-1111";

    @TempDir
    Path dir;

    @Test
    void aReaderWithAclsButNoKeyGrantGetsKmsAccessDeniedAtTheRecordsOffsetAndNoPlaintext(EmbeddedSecureKafka kafka) throws Exception {
        PlatformSchemas.trust();
        String orders = "kafi-orders";
        String payments = "kafi-payments";
        String audit = "kafi-audit";
        kafka.createTopics(1, orders, payments, audit);
        grant(kafka, "writer", AclOperation.WRITE, orders, payments);
        grant(kafka, "reader", AclOperation.READ, orders, payments);
        grant(kafka, "key-service", AclOperation.WRITE, audit);

        TrustFixture fixture = new TrustFixture(dir, kafka.certificateAuthority());
        fixture.writePolicy("rules:\n"
                + "  - {name: writer, principals: [User:writer], keys: [\"ciphertrail/topic/kafi-*\"], operations: [ENCRYPT]}\n"
                + "  - {name: orders-reader, principals: [User:reader], keys: [ciphertrail/topic/kafi-orders], operations: [DECRYPT]}\n"
                + "  - {name: admin, principals: [User:ciphertrail-admin], keys: [\"*\"], operations: [ADMIN]}\n");
        Map<String, Object> settings = fixture.serviceSettings(TrustServiceConfig.AUDIT_TOPIC_CONFIG, audit,
                TrustServiceConfig.AUDIT_WINDOW_MS_CONFIG, 500L, "bootstrap.servers", kafka.bootstrapServers());
        try (TrustService service = TrustService.start(settings)) {
            try (KmsAdmin admin = KmsConfig.admin(clientConfigs(kafka, service, "ciphertrail-admin"))) {
                admin.create("ciphertrail/topic/" + orders);
                admin.create("ciphertrail/topic/" + payments);
            }
            try (SecureProducer<String, String> producer = new SecureProducer<>(clientConfigs(kafka, service, "writer"),
                    new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>(payments, "p" + i, SECRET + " #" + i)).get(30, TimeUnit.SECONDS);
                    producer.send(new ProducerRecord<>(orders, "o" + i, "order #" + i)).get(30, TimeUnit.SECONDS);
                }
            }

            Map<String, Object> reader = clientConfigs(kafka, service, "reader");
            reader.put("group.id", "kafi-reader");
            reader.put("auto.offset.reset", "earliest");
            try (SecureConsumer<String, String> consumer = new SecureConsumer<>(reader, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(orders));
                List<String> values = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (values.size() < 3 && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(500)).forEach(record -> values.add(record.value()));
                }
                assertThat(values).containsExactly("order #0", "order #1", "order #2");
            }
            reader.put("group.id", "kafi-payments-reader");
            try (SecureConsumer<String, String> consumer = new SecureConsumer<>(reader, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(payments));
                List<String> leaked = new ArrayList<>();
                RecordDecryptionException denied = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (denied == null && System.nanoTime() < deadline) {
                    try {
                        consumer.poll(Duration.ofMillis(500)).forEach(record -> leaked.add(record.value()));
                    } catch (RecordDecryptionException e) {
                        denied = e;
                    }
                }
                assertThat(leaked).isEmpty();
                assertThat(denied).isNotNull();
                assertThat(denied.reason()).isEqualTo("KMS_ACCESS_DENIED");
                assertThat(denied.topicPartition().partition()).isZero();
                assertThat(denied.offset()).isZero();
                assertThat(denied.getMessage()).contains("KMS_ACCESS_DENIED").contains("User:reader")
                        .contains("ask for DECRYPT on ciphertrail/topic/" + payments + " in the key policy")
                        .doesNotContain(SECRET);
            }

            AuditEvent event = awaitDenial(kafka, audit);
            assertThat(event.getKeyUse().getPrincipal()).isEqualTo("User:reader");
            assertThat(event.getKeyUse().getOperation()).isEqualTo("UNWRAP");
            assertThat(event.getKeyUse().getPermission()).isEqualTo("DECRYPT");
            assertThat(event.getKeyUse().getVersion()).isEqualTo(1);
            assertThat(event.getKeyUse().getClientAddress()).isEqualTo("127.0.0.1");
        }
    }

    private static Map<String, Object> clientConfigs(EmbeddedSecureKafka kafka, TrustService service, String identity) {
        Map<String, Object> configs = new HashMap<>(kafka.clientProperties(identity));
        configs.put(KmsConfig.TYPE_CONFIG, "remote");
        configs.put(RemoteKmsProvider.URLS_CONFIG, TrustFixture.urls(service));
        return configs;
    }

    private static AuditEvent awaitDenial(EmbeddedSecureKafka kafka, String topic) throws Exception {
        Map<String, Object> configs = new HashMap<>(kafka.clientProperties(EmbeddedSecureKafka.ADMIN_IDENTITY));
        configs.put("group.id", "kafi-audit-reader");
        configs.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(configs, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    AuditEvent event = AuditEvent.fromByteBuffer(ByteBuffer.wrap(record.value()));
                    if (event.getEventType() == AuditEventType.KEY_USE_DENIED) {
                        assertThat(new String(record.value(), java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain(SECRET);
                        return event;
                    }
                }
            }
        }
        throw new AssertionError("No KEY_USE_DENIED event on " + topic + " within 60 s");
    }

    private static void grant(EmbeddedSecureKafka kafka, String identity, AclOperation operation, String... topics) throws Exception {
        List<AclBinding> acls = new ArrayList<>();
        for (String topic : topics) {
            ResourcePattern resource = new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL);
            acls.add(new AclBinding(resource, allow(identity, operation)));
            acls.add(new AclBinding(resource, allow(identity, AclOperation.DESCRIBE)));
        }
        if (operation == AclOperation.READ) {
            acls.add(new AclBinding(new ResourcePattern(ResourceType.GROUP, "kafi-", PatternType.PREFIXED), allow(identity, AclOperation.READ)));
        } else {
            acls.add(new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                    allow(identity, AclOperation.IDEMPOTENT_WRITE)));
        }
        try (Admin admin = kafka.admin()) {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static AccessControlEntry allow(String identity, AclOperation operation) {
        return new AccessControlEntry("User:" + identity, "*", operation, AclPermissionType.ALLOW);
    }
}
