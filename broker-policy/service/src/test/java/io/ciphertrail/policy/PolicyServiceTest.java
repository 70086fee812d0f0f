package io.ciphertrail.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.consumer.SecureConsumer;
import io.ciphertrail.core.envelope.CryptoListener;
import io.ciphertrail.core.envelope.DekCache;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import io.ciphertrail.core.envelope.EnvelopeEncryptor;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.core.trace.TraceContext;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.policy.audit.AuditCodec;
import io.ciphertrail.policy.audit.TrailCodec;
import io.ciphertrail.policy.quarantine.OriginalReference;
import io.ciphertrail.policy.quarantine.QuarantineHeaders;
import io.ciphertrail.policy.quarantine.QuarantineReason;
import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.quarantine.QuarantinedRecord;
import io.ciphertrail.policy.quarantine.ReplayRules;
import io.ciphertrail.policy.rules.ReservedTopics;
import io.ciphertrail.policy.rules.PolicyFile;
import io.ciphertrail.policy.rules.PolicyTopic;
import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.producer.SecureProducerConfig;
import io.ciphertrail.schemas.PlatformSchemas;
import io.ciphertrail.schemas.alert.Alert;
import io.ciphertrail.schemas.alert.AlertAction;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** The policy service against a real TLS-only broker running the SecureTransportAuthorizer (STRICT). */
@WithSecureKafka(plaintextListener = true,
        authorizer = "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer",
        superUsers = {"User:policy-service", "User:orders-service", "User:legacy-service", "User:billing-service", "User:operator"},
        brokerProperties = {"ciphertrail.authorizer.audit.window.ms=1000", "ciphertrail.authorizer.audit.max.aggregates=1000"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PolicyServiceTest {
    static final String POLICIES = """
            policies:
              - name: orders
                from: orders.ingress
                to: orders
              - name: payments
                from: payments.ingress
                to: payments
                rules:
                  trace: PERMISSIVE
              - name: ghost
                from: ghost.ingress
                to: ghost
              - name: quarantine-convention
                fromPattern: "(.+\\\\.quarantine)\\\\.ingress"
                to: "$1"
            """;

    static final ReplayRules REPLAY = new ReplayRules("ciphertrail.quarantine", "ciphertrail.trail", Pattern.compile(".+\\.ingress"),
            new ReservedTopics(List.of("ciphertrail.quarantine", "ciphertrail.trail", "ciphertrail.audit", "ciphertrail.policies", "ciphertrail.alerts",
                    "ciphertrail.blocks"), "policy-service-test"));

    @TempDir
    static Path dir;
    static EmbeddedSecureKafka kafka;
    static Map<String, Object> kms;
    static PolicyService service;

    @BeforeAll
    static void start(EmbeddedSecureKafka cluster) throws Exception {
        kafka = cluster;
        PlatformSchemas.trust();
        Path password = dir.resolve("kms-password");
        SecureFiles.writeOwnerOnly(password, "kms-pw".getBytes(StandardCharsets.UTF_8));
        kms = Map.of(KmsConfig.TYPE_CONFIG, "local", LocalKmsProvider.KEYSTORE_PATH_CONFIG, dir.resolve("keks.p12").toString(),
                LocalKmsProvider.PASSWORD_FILE_CONFIG, password.toString());
        KmsConfig.initialize(kms);
        try (KmsAdmin admin = KmsConfig.admin(kms)) {
            for (String topic : List.of("orders", "payments", "invoices", "ghost", "ciphertrail.quarantine")) {
                admin.create("ciphertrail/topic/" + topic);
            }
        }
        kafka.createTopics(1, "orders.ingress", "orders", "payments.ingress", "payments", "invoices.ingress", "invoices", "ghost.ingress",
                "ciphertrail.quarantine.ingress");
        Path policyFile = dir.resolve("policies.yaml");
        Files.writeString(policyFile, POLICIES);

        Map<String, Object> settings = new HashMap<>(kafka.clientProperties("policy-service"));
        settings.put("application.id", "policy-service-test");
        settings.put("state.dir", dir.resolve("state").toString());
        settings.put(PolicyServiceConfig.POLICIES_FILE_CONFIG, policyFile.toString());
        settings.put(PolicyServiceConfig.HTTP_PORT_CONFIG, 0);
        settings.put(PolicyServiceConfig.ALERT_THRESHOLD_CONFIG, 5L);
        settings.put(PolicyServiceConfig.ALERT_WINDOW_MS_CONFIG, 30_000L);
        settings.put(PolicyServiceConfig.BLOCK_ENABLED_CONFIG, true);
        settings.put(PolicyServiceConfig.BLOCK_DURATION_MS_CONFIG, 4_000L);
        settings.put(PolicyServiceConfig.TOPICS_REFRESH_MS_CONFIG, 1_000L);
        settings.put(PolicyServiceConfig.RETRY_BACKOFF_MS_CONFIG, 200L);
        settings.put(PolicyServiceConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 2_000L);
        service = PolicyService.start(settings);
        await().atMost(Duration.ofSeconds(60)).until(() -> service.state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING
                && service.policies().routeFor("orders.ingress").isPresent());
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    static Map<String, Object> client(String identity, Object... overrides) {
        Map<String, Object> configs = new HashMap<>(kafka.clientProperties(identity));
        configs.putAll(kms);
        for (int i = 0; i < overrides.length; i += 2) {
            configs.put((String) overrides[i], overrides[i + 1]);
        }
        return configs;
    }

    static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast) {
        Map<String, Object> configs = client("operator", "group.id", "reader-" + topic + "-" + System.nanoTime(),
                "auto.offset.reset", "earliest", "isolation.level", "read_committed");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(configs, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= atLeast;
            });
            // Drain what else is there, so callers see the whole topic.
            for (int i = 0; i < 3; i++) {
                consumer.poll(Duration.ofMillis(300)).forEach(records::add);
            }
        }
        return records;
    }

    /** The trail of one trace: audit events, and the RECORD_FORWARDED events compact index entries stand for. */
    static List<AuditEvent> auditTrail(String traceId, int atLeast) {
        List<AuditEvent> events = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            events.clear();
            readAll("ciphertrail.trail", 1).stream()
                    .map(r -> TrailCodec.decode(r.key(), r.value(), r.timestamp())).flatMap(java.util.Optional::stream)
                    .filter(e -> e.getRecord() != null && traceId.equals(e.getRecord().getTraceId()))
                    .forEach(events::add);
            return events.size() >= atLeast;
        });
        return events;
    }

    /** Sends one record encrypted for {@code egress} to {@code ingress}, as a well-behaved producer does; returns its trace ID. */
    static String sendEncrypted(String ingress, String egress, String key, String value, Headers headers) throws Exception {
        ProducerRecord<String, String> record = new ProducerRecord<>(ingress, null, key, value, headers);
        try (SecureProducer<String, String> producer = new SecureProducer<>(client("orders-service",
                SecureProducerConfig.BOUND_TOPICS_CONFIG, ingress + ":" + egress), new StringSerializer(), new StringSerializer())) {
            producer.send(record).get();
        }
        return SecureProducer.traceId(record).orElseThrow();
    }

    /** Sends an order through the gate and waits until it is forwarded: the gate goes on. */
    static void assertTheGateStillForwards(String key) throws Exception {
        sendEncrypted("orders.ingress", "orders", key, "an order after it", new RecordHeaders());
        await().atMost(Duration.ofSeconds(90)).until(() -> readAll("orders", 1).stream()
                .anyMatch(r -> Arrays.equals(r.key(), key.getBytes(StandardCharsets.UTF_8))));
    }

    static List<QuarantinedRecord> awaitQuarantined(java.util.function.Predicate<QuarantinedRecord> which, int atLeast) {
        List<QuarantinedRecord> found = new ArrayList<>();
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            found.clear();
            found.addAll(QuarantineTopic.read(client("operator"), "ciphertrail.quarantine", which));
            return found.size() >= atLeast;
        });
        return found;
    }

    static java.util.function.Predicate<QuarantinedRecord> keyed(String key) {
        return q -> q.record().key() != null && Arrays.equals(q.record().key(), key.getBytes(StandardCharsets.UTF_8));
    }

    static long endOffset(String topic) throws Exception {
        try (Admin admin = kafka.admin()) {
            org.apache.kafka.common.TopicPartition partition = new org.apache.kafka.common.TopicPartition(topic, 0);
            return admin.listOffsets(Map.of(partition, org.apache.kafka.clients.admin.OffsetSpec.latest())).all().get().get(partition).offset();
        }
    }

    static String health() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void encryptedEventIsForwardedWithItsTraceAndTheConsumerLibraryDecryptsIt() throws Exception {
        ProducerRecord<String, String> order = new ProducerRecord<>("orders.ingress", "o-1", "two widgets");
        try (SecureProducer<String, String> producer = new SecureProducer<>(client("orders-service",
                SecureProducerConfig.BOUND_TOPICS_CONFIG, "orders.ingress:orders"), new StringSerializer(), new StringSerializer())) {
            producer.send(order).get();
        }
        String traceId = SecureProducer.traceId(order).orElseThrow();
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(client("billing-service", "group.id", "billing",
                "auto.offset.reset", "earliest", "isolation.level", "read_committed"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("orders"));
            List<ConsumerRecord<String, String>> received = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                return received.stream().anyMatch(r -> "o-1".equals(r.key()));
            });
            ConsumerRecord<String, String> record = received.stream().filter(r -> "o-1".equals(r.key())).findFirst().orElseThrow();
            assertThat(record.value()).isEqualTo("two widgets");
            assertThat(SecureConsumer.traceId(record)).contains(traceId);
        }
        // The record crossed the gate as written: envelope version 2, its trace only inside the envelope.
        ConsumerRecord<byte[], byte[]> raw = readAll("orders", 1).stream()
                .filter(r -> Arrays.equals(r.key(), "o-1".getBytes(StandardCharsets.UTF_8))).findFirst().orElseThrow();
        assertThat(raw.headers().lastHeader(TraceContext.HEADER)).isNull();
        assertThat(io.ciphertrail.core.envelope.Envelope.parse(raw.value(), "orders").binding().boundTraceId()).contains(traceId);
        // One compact index entry on the trail says where it was read and where it went; no audit event for it.
        assertThat(auditTrail(traceId, 1)).singleElement().satisfies(event -> {
            assertThat(event.getEventType()).isEqualTo(AuditEventType.RECORD_FORWARDED);
            assertThat(event.getRecord().getSourceTopic()).isEqualTo("orders.ingress");
            assertThat(event.getRecord().getDestinationTopic()).isEqualTo("orders");
            assertThat(event.getRecord().getPolicy()).isEqualTo("orders");
            assertThat(event.getId()).isEqualTo("orders.ingress-0@" + event.getRecord().getSourceOffset());
        });
        ConsumerRecord<byte[], byte[]> entry = readAll("ciphertrail.trail", 1).stream()
                .filter(r -> Arrays.equals(r.key(), traceId.getBytes(StandardCharsets.US_ASCII))).findFirst().orElseThrow();
        assertThat(AuditCodec.decode(entry.value())).as("a compact entry, not a full event").isEmpty();
        assertThat(entry.value().length).isLessThan(80);
        assertThat(readAll("ciphertrail.audit", 0)).as("the gate writes nothing to the brokers' audit topic")
                .noneMatch(r -> AuditCodec.decode(r.value()).map(e -> e.getRecord() != null).orElse(false));
        assertThat(service.metrics().value("ciphertrail_gate_records_forwarded_total", "policy", "orders")).isPositive();
        assertThat(service.metrics().value("ciphertrail_gate_trail_records_total", "kind", "index_entry")).isPositive();
    }

    @Test
    void unencryptedAndWronglyBoundRecordsAreQuarantinedByteIdenticalWithReasons() throws Exception {
        byte[] plain = "{\"card\":\"4111\"}".getBytes(StandardCharsets.UTF_8);
        Headers headers = new RecordHeaders();
        TraceContext.newTrace().writeTo(headers);
        headers.add("origin", "legacy".getBytes(StandardCharsets.UTF_8));
        long plainOffset;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            plainOffset = producer.send(new ProducerRecord<>("orders.ingress", null, 1_700_000_000_000L,
                    "legacy-key".getBytes(StandardCharsets.UTF_8), plain, headers)).get().offset();
        }
        ProducerRecord<String, String> misrouted = new ProducerRecord<>("orders.ingress", "m-1", "meant for payments");
        try (SecureProducer<String, String> producer = new SecureProducer<>(client("orders-service",
                SecureProducerConfig.BOUND_TOPICS_CONFIG, "orders.ingress:payments"), new StringSerializer(), new StringSerializer())) {
            producer.send(misrouted).get();
        }

        List<QuarantinedRecord> quarantined = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            quarantined.clear();
            quarantined.addAll(QuarantineTopic.read(client("operator"), "ciphertrail.quarantine",
                    q -> "orders.ingress".equals(q.reason().sourceTopic())));
            return quarantined.stream().anyMatch(keyed("legacy-key"))
                    && quarantined.stream().anyMatch(q -> "WRONG_TOPIC".equals(q.reason().code()));
        });

        QuarantinedRecord notEncrypted = quarantined.stream().filter(keyed("legacy-key")).findFirst().orElseThrow();
        assertThat(notEncrypted.record().value()).isEqualTo(plain);
        assertThat(notEncrypted.record().key()).isEqualTo("legacy-key".getBytes(StandardCharsets.UTF_8));
        assertThat(notEncrypted.record().timestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(QuarantineHeaders.original(notEncrypted.record().headers()).toArray()).isEqualTo(headers.toArray());
        assertThat(notEncrypted.reason().rule()).isEqualTo("envelope");
        assertThat(notEncrypted.reason().policy()).isEqualTo("orders");
        assertThat(notEncrypted.reason().sourcePartition()).isZero();
        assertThat(notEncrypted.reason().sourceOffset()).isEqualTo(plainOffset);
        assertThat(notEncrypted.reason().time()).isPositive();

        QuarantinedRecord wrongTopic = quarantined.stream().filter(q -> "WRONG_TOPIC".equals(q.reason().code())).findFirst().orElseThrow();
        assertThat(wrongTopic.reason().rule()).isEqualTo("binding");
        assertThat(wrongTopic.reason().detail()).contains("encrypted for a topic with fingerprint "
                + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest("payments".getBytes(StandardCharsets.UTF_8)), 0, 4));
        assertThat(wrongTopic.traceId()).isEqualTo(SecureProducer.traceId(misrouted));
        assertThat(auditTrail(wrongTopic.traceId().orElseThrow(), 1)).singleElement().satisfies(event -> {
            assertThat(event.getEventType()).isEqualTo(AuditEventType.RECORD_QUARANTINED);
            assertThat(event.getRecord().getReason()).isEqualTo("WRONG_TOPIC");
            assertThat(event.getId()).isEqualTo("orders.ingress-0@" + wrongTopic.reason().sourceOffset());
        });
    }

    @Test
    void aDeleteFromTheSecureProducerIsForwardedAndAPlainOneFromAnyWriterIsQuarantined() throws Exception {
        try (SecureProducer<String, String> producer = new SecureProducer<>(client("orders-service",
                SecureProducerConfig.BOUND_TOPICS_CONFIG, "orders.ingress:orders"), new StringSerializer(), new StringSerializer());
             KafkaProducer<byte[], byte[]> intruder = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("orders.ingress", "delete-genuine", null)).get();
            intruder.send(new ProducerRecord<>("orders.ingress", "delete-forged".getBytes(StandardCharsets.UTF_8), null)).get();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> !QuarantineTopic.read(client("operator"), "ciphertrail.quarantine",
                q -> Arrays.equals(q.record().key(), "delete-forged".getBytes(StandardCharsets.UTF_8))
                        && "UNAUTHENTICATED_DELETE".equals(q.reason().code())).isEmpty());
        ConsumerRecord<byte[], byte[]> forwarded = readAll("orders", 1).stream()
                .filter(r -> Arrays.equals(r.key(), "delete-genuine".getBytes(StandardCharsets.UTF_8))).findFirst().orElseThrow();
        assertThat(forwarded.value()).isNull();
        assertThat(forwarded.headers().lastHeader(io.ciphertrail.core.envelope.DeleteProof.HEADER)).isNotNull();
        assertThat(readAll("orders", 1)).noneMatch(r -> Arrays.equals(r.key(), "delete-forged".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void missingTraceIsRejectedWhenEnforcedAndAssignedWhenPermissive() throws Exception {
        try (Kms keys = KmsConfig.kms(kms);
             EnvelopeEncryptor encryptor = new EnvelopeEncryptor(keys, new EnvelopeConfig(Map.of()), new DekCache(10, 60_000, Clock.systemUTC()),
                     CryptoListener.NONE, Clock.systemUTC());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("orders.ingress", "untraced-order".getBytes(StandardCharsets.UTF_8),
                    encryptor.encrypt("orders", new RecordHeaders(), new byte[] {1}))).get();
            producer.send(new ProducerRecord<>("payments.ingress", "untraced-payment".getBytes(StandardCharsets.UTF_8),
                    encryptor.encrypt("payments", new RecordHeaders(), new byte[] {2}))).get();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> !QuarantineTopic.read(client("operator"), "ciphertrail.quarantine",
                q -> Arrays.equals(q.record().key(), "untraced-order".getBytes(StandardCharsets.UTF_8))
                        && "MISSING_TRACE".equals(q.reason().code())).isEmpty());
        ConsumerRecord<byte[], byte[]> payment = readAll("payments", 1).stream()
                .filter(r -> Arrays.equals(r.key(), "untraced-payment".getBytes(StandardCharsets.UTF_8))).findFirst().orElseThrow();
        String assigned = TraceContext.fromHeaders(payment.headers()).orElseThrow().traceId();
        // Forwarded despite the permissive rule: one audit event says so, where it went, and every rule it broke.
        assertThat(auditTrail(assigned, 1)).singleElement().satisfies(event -> {
            assertThat(event.getEventType()).isEqualTo(AuditEventType.RECORD_POLICY_WARNING);
            assertThat(event.getRecord().getDestinationTopic()).isEqualTo("payments");
            assertThat(event.getRecord().getWarnings()).extracting(w -> w.getRule() + ":" + w.getReason()).containsExactly("trace:MISSING_TRACE");
        });
    }

    @Test
    void policyPublishedWhileRunningAppliesWithoutRestartAndAFixedRecordReplaysWithItsTrace() throws Exception {
        ProducerRecord<String, String> invoice = new ProducerRecord<>("invoices.ingress", "i-1", "invoice 1");
        try (SecureProducer<String, String> producer = new SecureProducer<>(client("orders-service",
                SecureProducerConfig.BOUND_TOPICS_CONFIG, "invoices.ingress:invoices"), new StringSerializer(), new StringSerializer())) {
            producer.send(invoice).get();
        }
        String traceId = SecureProducer.traceId(invoice).orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> !QuarantineTopic.read(client("operator"), "ciphertrail.quarantine",
                q -> q.traceId().equals(java.util.Optional.of(traceId)) && "NO_POLICY".equals(q.reason().code())).isEmpty());

        PolicyTopic.apply(client("operator"), "ciphertrail.policies", PolicyFile.parse(POLICIES
                + "  - name: invoices\n    from: invoices.ingress\n    to: invoices\n", "update"));
        await().atMost(Duration.ofSeconds(30)).until(() -> service.policies().routeFor("invoices.ingress").isPresent());

        List<QuarantinedRecord> replayed = QuarantineTopic.replay(client("operator"), REPLAY,
                q -> q.traceId().equals(java.util.Optional.of(traceId)), "ciphertrail://test").replayed();
        assertThat(replayed).hasSize(1);

        ConsumerRecord<byte[], byte[]> forwarded = readAll("invoices", 1).get(0);
        assertThat(EnvelopeDecryptor.traceId(forwarded.headers(), forwarded.value())).contains(traceId);
        assertThat(auditTrail(traceId, 3)).extracting(AuditEvent::getEventType).containsExactlyInAnyOrder(AuditEventType.RECORD_QUARANTINED,
                AuditEventType.RECORD_REPLAYED, AuditEventType.RECORD_FORWARDED);
    }

    /**
     * One real offender among forged audit events and a flood: only the brokers' events about the offender count, the
     * flood (one insider asking for 10,000 topics it may not see, again and again) does not hide it, the service never
     * blocks a wildcard, a victim named by a forger, or itself, and it lifts only the DENY ACLs it placed.
     */
    @Test
    void repeatedPlaintextAttemptsRaiseAnAlertAndAnExpiringDenyAclDespiteForgedEventsAndAFlood() throws Exception {
        String broker;
        AclBinding operators = new AclBinding(new org.apache.kafka.common.resource.ResourcePattern(org.apache.kafka.common.resource.ResourceType.TOPIC,
                "*", org.apache.kafka.common.resource.PatternType.LITERAL), new org.apache.kafka.common.acl.AccessControlEntry("User:ANONYMOUS",
                "127.0.0.1", org.apache.kafka.common.acl.AclOperation.ALL, AclPermissionType.DENY));
        try (Admin admin = kafka.admin()) {
            broker = "crn:///kafka=" + admin.describeCluster().clusterId().get() + "/node=1/role=broker";
            admin.createAcls(List.of(operators)).all().get();
        }
        writeAuditEvent("crn:///kafka=another-cluster/node=1/role=broker", "10.0.0.66", "User:victim", "10.0.0.66");
        writeAuditEvent(broker, "*", "User:*", "*");
        writeAuditEvent(broker, "10.0.0.67", "User:policy-service", "10.0.0.67");
        writeAuditEvent(broker, "10.0.0.99", "User:victim", "10.0.0.68");

        java.util.concurrent.atomic.AtomicBoolean flooding = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger floods = new java.util.concurrent.atomic.AtomicInteger();
        Thread flood = new Thread(() -> {
            List<String> topics = java.util.stream.IntStream.range(0, 10_000).mapToObj(i -> "probe-" + i).toList();
            try (Admin flooder = Admin.create(client("flooder"))) {
                while (flooding.get()) {
                    try {
                        flooder.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
                    } catch (Exception expected) {
                        // denied: it may not see them
                    }
                    floods.incrementAndGet();
                }
            }
        }, "flooder");
        flood.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> floods.get() >= 2);
            Map<String, Object> plaintext = new HashMap<>(kafka.plaintextClientProperties());
            plaintext.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
            plaintext.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000);
            try (Admin intruder = Admin.create(plaintext)) {
                for (int i = 0; i < 12; i++) {
                    try {
                        intruder.describeAcls(AclBindingFilter.ANY).values().get(5, TimeUnit.SECONDS);
                    } catch (ExecutionException expected) {
                        // denied: the broker refuses plaintext
                    }
                }
            }
        } finally {
            flooding.set(false);
            flood.join();
        }
        List<Alert> alerts = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            alerts.clear();
            for (ConsumerRecord<byte[], byte[]> record : readAll("ciphertrail.alerts", 1)) {
                alerts.add(Alert.fromByteBuffer(ByteBuffer.wrap(record.value())));
            }
            return alerts.stream().anyMatch(a -> a.getPrincipal().equals("User:ANONYMOUS"));
        });
        Alert alert = alerts.stream().filter(a -> a.getPrincipal().equals("User:ANONYMOUS")).findFirst().orElseThrow();
        assertThat(alert.getClientAddress()).isEqualTo("127.0.0.1");
        assertThat(alert.getAttempts()).isGreaterThanOrEqualTo(5);
        assertThat(alert.getAction()).isEqualTo(AlertAction.BLOCKED);
        assertThat(alert.getMessage()).contains("move this client to the TLS listener");
        // Events the brokers did not write raise nothing; a wildcard and the service itself are never blocked.
        assertThat(alerts).noneMatch(a -> a.getPrincipal().equals("User:victim"));
        assertThat(alerts).filteredOn(a -> a.getPrincipal().equals("User:*") || a.getPrincipal().equals("User:policy-service"))
                .allSatisfy(a -> {
                    assertThat(a.getAction()).isEqualTo(AlertAction.NONE);
                    assertThat(a.getMessage()).contains("not blocked");
                });

        try (Admin admin = kafka.admin()) {
            AclBindingFilter anonymous = new AclBindingFilter(org.apache.kafka.common.resource.ResourcePatternFilter.ANY,
                    new org.apache.kafka.common.acl.AccessControlEntryFilter("User:ANONYMOUS", "127.0.0.1",
                            org.apache.kafka.common.acl.AclOperation.ANY, AclPermissionType.DENY));
            await().atMost(Duration.ofSeconds(10)).until(() -> admin.describeAcls(anonymous).values().get().size() == 4);
            assertThat(admin.describeAcls(anonymous).values().get()).extracting(AclBinding::entry)
                    .allMatch(entry -> entry.permissionType() == AclPermissionType.DENY);
            // When the block expires, the service removes the three bindings it placed, never the operator's identical one.
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.describeAcls(anonymous).values().get().size() == 1);
            assertThat(admin.describeAcls(anonymous).values().get()).containsExactly(operators);
            assertThat(admin.describeAcls(AclBindingFilter.ANY).values().get()).extracting(b -> b.entry().principal())
                    .doesNotContain("User:*", "User:victim", "User:policy-service");
            admin.deleteAcls(List.of(operators.toFilter())).all().get();
        }
        assertThat(service.metrics().value("ciphertrail_acl_unblocks_total")).isPositive();
    }

    /** Writes an authorization event to the audit topic as someone other than a broker would. */
    static void writeAuditEvent(String source, String key, String principal, String address) throws Exception {
        AuditEvent event = AuditEvent.newBuilder()
                .setId(java.util.UUID.randomUUID().toString()).setSource(source).setType("io.ciphertrail.kafka.server/authorization")
                .setTime(java.time.Instant.now()).setEventType(AuditEventType.INSECURE_REQUEST_DENIED)
                .setAuthorization(io.ciphertrail.schemas.audit.AuthorizationInfo.newBuilder()
                        .setListener("PLAINTEXT").setSecurityProtocol("PLAINTEXT").setPrincipal(principal).setClientAddress(address)
                        .setClientId("forged").setRequestType("PRODUCE").setResourceType("TOPIC").setResourceName("orders").setOperation("WRITE")
                        .setDecision(io.ciphertrail.schemas.audit.Decision.DENIED).setReason("forged").setMode("STRICT").setCount(100)
                        .setWindowStart(java.time.Instant.now()).setWindowEnd(java.time.Instant.now()).build())
                .build();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("operator"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("ciphertrail.audit", key.getBytes(StandardCharsets.UTF_8), AuditCodec.encode(event))).get();
        }
    }

    @Test
    void aRouteToAMissingTopicQuarantinesItsRecordsAndEveryOtherRouteGoesOn() throws Exception {
        String traceId = sendEncrypted("ghost.ingress", "ghost", "ghost-1", "for a topic nobody created", new RecordHeaders());
        assertTheGateStillForwards("after-ghost");
        QuarantinedRecord ghost = awaitQuarantined(keyed("ghost-1"), 1).get(0);
        assertThat(ghost.reason().code()).isEqualTo("EGRESS_MISSING");
        assertThat(ghost.reason().rule()).isEqualTo("delivery");
        assertThat(ghost.reason().policy()).isEqualTo("ghost");
        assertThat(ghost.reason().detail()).contains("'ghost' does not exist").contains("create it, then replay");
        assertThat(ghost.reference()).isEmpty();
        assertThat(ghost.traceId()).contains(traceId);
        assertThat(service.writes().failures()).isZero();
    }

    @Test
    void aFiveMegabyteCompressibleRecordIsQuarantinedAsAReferenceAndReplayedFromItsIngressTopic() throws Exception {
        byte[] value = new byte[5 * 1024 * 1024];
        Arrays.fill(value, (byte) 'a');
        Headers headers = new RecordHeaders();
        TraceContext.newTrace().writeTo(headers);
        long offset;
        // The broker takes it: compressed, the batch is a few kilobytes. Uncompressed, it is five times what a record may be.
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service", "compression.type", "gzip",
                "max.request.size", 6 * 1024 * 1024), new ByteArraySerializer(), new ByteArraySerializer())) {
            offset = producer.send(new ProducerRecord<>("orders.ingress", null, "huge-1".getBytes(StandardCharsets.UTF_8), value, headers))
                    .get().offset();
        }
        assertTheGateStillForwards("after-huge");

        QuarantinedRecord reference = awaitQuarantined(keyed("huge-1"), 1).get(0);
        assertThat(reference.reason().code()).isEqualTo("TOO_LARGE_TO_COPY");
        assertThat(reference.reason().detail()).startsWith("TOO_LARGE: ").contains("orders.ingress-0@" + offset);
        assertThat(reference.origin()).isEqualTo("orders.ingress-0@" + offset);
        assertThat(reference.record().value()).isNull();
        assertThat(reference.originalHeaders().toArray()).isEqualTo(headers.toArray());
        OriginalReference original = reference.reference().orElseThrow();
        assertThat(original.valueBytes()).isEqualTo(value.length);
        assertThat(original.matches("huge-1".getBytes(StandardCharsets.UTF_8), value)).isTrue();

        QuarantineTopic.ReplayResult replay = QuarantineTopic.replay(client("operator"), REPLAY,
                q -> q.record().partition() == reference.record().partition() && q.record().offset() == reference.record().offset(),
                "ciphertrail://test");
        assertThat(replay.refused()).isEmpty();
        assertThat(replay.replayed()).hasSize(1);
        // The original went back to its ingress topic, was gated again and is referenced again from its new offset.
        assertThat(awaitQuarantined(keyed("huge-1").and(q -> q.reason().sourceOffset() > offset), 1).get(0).reference().orElseThrow())
                .isEqualTo(original);
    }

    @Test
    void aRecordJustUnderTheLimitIsQuarantinedWholeWithItsReasons() throws Exception {
        byte[] key = "near-limit".getBytes(StandardCharsets.UTF_8);
        Headers headers = new RecordHeaders();
        TraceContext.newTrace().writeTo(headers);
        int target = 1_048_576 - 100;
        byte[] value = new byte[target - io.ciphertrail.policy.delivery.RecordSize.of(key, new byte[0], headers)];
        while (io.ciphertrail.policy.delivery.RecordSize.of(key, value, headers) > target) {
            value = Arrays.copyOf(value, value.length - 1);
        }
        Arrays.fill(value, (byte) 'p');
        assertThat(io.ciphertrail.policy.delivery.RecordSize.of(key, value, headers)).isEqualTo(target);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("orders.ingress", null, key, value, headers)).get();
        }
        assertTheGateStillForwards("after-near-limit");

        QuarantinedRecord whole = awaitQuarantined(keyed("near-limit"), 1).get(0);
        assertThat(whole.reason().code()).isEqualTo("NOT_ENCRYPTED");
        assertThat(whole.reference()).isEmpty();
        assertThat(whole.record().value()).isEqualTo(value);
        assertThat(whole.originalHeaders().toArray()).isEqualTo(headers.toArray());
    }

    @Test
    void aRecordPlantedInTheQuarantineIngressTopicIsNeverForwardedIntoQuarantine() throws Exception {
        Headers forged = new RecordHeaders();
        forged.add(QuarantineHeaders.REASON, "FIXED".getBytes(StandardCharsets.UTF_8));
        forged.add(QuarantineHeaders.SOURCE_TOPIC, "orders".getBytes(StandardCharsets.UTF_8));
        forged.add(QuarantineHeaders.SOURCE_PARTITION, "0".getBytes(StandardCharsets.UTF_8));
        forged.add(QuarantineHeaders.SOURCE_OFFSET, "0".getBytes(StandardCharsets.UTF_8));
        // Correctly encrypted for the topic its name routes to by convention: only the route can stop it.
        sendEncrypted("ciphertrail.quarantine.ingress", "ciphertrail.quarantine", "planted", "a record for the orders topic", forged);
        QuarantinedRecord held = awaitQuarantined(keyed("planted").and(q -> "ciphertrail.quarantine.ingress".equals(q.reason().sourceTopic())), 1)
                .get(0);
        assertThat(held.reason().code()).isEqualTo("RESERVED_EGRESS");
        assertThat(held.reason().detail()).contains("'ciphertrail.quarantine'");
        assertThat(QuarantineTopic.read(client("operator"), "ciphertrail.quarantine", keyed("planted")))
                .extracting(q -> q.reason().code()).containsOnly("RESERVED_EGRESS");
    }

    @Test
    void aHandMadeQuarantineRecordIsRefusedByReplayAndOnlyTheGatesOwnCopiesGoBack() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("orders.ingress", "genuine".getBytes(StandardCharsets.UTF_8), "{\"plain\":1}".getBytes(StandardCharsets.UTF_8))).get();
        }
        QuarantinedRecord genuine = awaitQuarantined(keyed("genuine"), 1).get(0);
        long now = System.currentTimeMillis();
        try (KafkaProducer<byte[], byte[]> writer = new KafkaProducer<>(client("operator"), new ByteArraySerializer(), new ByteArraySerializer())) {
            // Claims to come from an egress topic: replaying it would skip the gate.
            writer.send(new ProducerRecord<>("ciphertrail.quarantine", null, "forged-egress".getBytes(StandardCharsets.UTF_8),
                    "injected".getBytes(StandardCharsets.UTF_8), QuarantineHeaders.withReason(new RecordHeaders(),
                    new QuarantineReason("orders", "envelope", "NOT_ENCRYPTED", "x", "orders", 0, 0, now)))).get();
            // Claims to be the gate's copy of a real ingress record, with other content.
            writer.send(new ProducerRecord<>("ciphertrail.quarantine", null, "genuine".getBytes(StandardCharsets.UTF_8),
                    "injected".getBytes(StandardCharsets.UTF_8), QuarantineHeaders.withReason(genuine.originalHeaders(), genuine.reason()))).get();
        }
        long ingressEnd = endOffset("orders.ingress");
        QuarantineTopic.ReplayResult forged = QuarantineTopic.replay(client("operator"), REPLAY,
                keyed("forged-egress").or(keyed("genuine").and(q -> Arrays.equals(q.record().value(), "injected".getBytes(StandardCharsets.UTF_8)))),
                "ciphertrail://test");
        assertThat(forged.replayed()).isEmpty();
        assertThat(forged.refused()).extracting(QuarantineTopic.Refusal::reason).satisfiesExactlyInAnyOrder(
                reason -> assertThat(reason).contains("'orders' is not an ingress topic the gate reads"),
                reason -> assertThat(reason).contains("does not match the record at " + genuine.origin()));
        assertThat(endOffset("orders.ingress")).isEqualTo(ingressEnd);

        QuarantineTopic.ReplayResult own = QuarantineTopic.replay(client("operator"), REPLAY,
                q -> q.record().offset() == genuine.record().offset() && q.record().partition() == genuine.record().partition(), "ciphertrail://test");
        assertThat(own.refused()).isEmpty();
        assertThat(own.replayed()).hasSize(1);
        assertThat(endOffset("orders.ingress")).isEqualTo(ingressEnd + 1);
    }

    @Test
    void internalTopicsHoldNoPayloadKeyOrSecret() throws Exception {
        String marker = "INTERNAL-TOPIC-MARKER-93";
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("orders.ingress", marker.getBytes(StandardCharsets.UTF_8), marker.getBytes(StandardCharsets.UTF_8))).get();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> !QuarantineTopic.read(client("operator"), "ciphertrail.quarantine",
                q -> Arrays.equals(q.record().key(), marker.getBytes(StandardCharsets.UTF_8))).isEmpty());
        List<String> internal;
        try (Admin admin = kafka.admin()) {
            internal = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names().get()
                    .stream().filter(t -> t.startsWith("policy-service-test-")).toList();
        }
        assertThat(internal).isNotEmpty();
        String password = kafka.clientProperties("policy-service").get("ssl.keystore.password").toString();
        for (String topic : internal) {
            for (ConsumerRecord<byte[], byte[]> record : readAll(topic, 0)) {
                String text = new String(record.key() == null ? new byte[0] : record.key(), StandardCharsets.ISO_8859_1)
                        + new String(record.value() == null ? new byte[0] : record.value(), StandardCharsets.ISO_8859_1);
                assertThat(text).as("record in internal topic %s", topic).doesNotContain(marker).doesNotContain(password).doesNotContain("kms-pw");
            }
        }
    }

    @Test
    void healthAndMetricsEndpointsAnswer() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"").contains("RUNNING");
        assertTheGateStillForwards("metrics-1");
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
        assertThat(metrics.body())
                .contains("ciphertrail_streams_running 1")
                .containsPattern("ciphertrail_gate_records_checked_total\\{policy=\"orders\"} [1-9]")
                .containsPattern("ciphertrail_gate_trail_records_total\\{kind=\"index_entry\"} [1-9]")
                .containsPattern("ciphertrail_streams_records_lag\\{partition=\"0\",topic=\"orders.ingress\"} \\d")
                .contains("ciphertrail_streams_records_lag_max ")
                .containsPattern("ciphertrail_streams_commit_latency_max_seconds\\{thread=\"StreamThread-1\"} ")
                .containsPattern("ciphertrail_streams_commits_total\\{thread=\"StreamThread-1\"} [1-9]")
                .containsPattern("ciphertrail_streams_commit_phase_seconds_total\\{phase=\"flush\",thread=\"StreamThread-1\"} (?!0\\.0\\s)\\d")
                .containsPattern("ciphertrail_streams_commit_phase_seconds_total\\{phase=\"offsets\",thread=\"StreamThread-1\"} ")
                .containsPattern("ciphertrail_streams_commit_phase_seconds_total\\{phase=\"end\",thread=\"StreamThread-1\"} ")
                .containsPattern("ciphertrail_streams_transactions_total\\{outcome=\"committed\"} [1-9]")
                .contains("ciphertrail_streams_transactions_total{outcome=\"aborted\"} ")
                .contains("ciphertrail_streams_producer_retries_total{thread=\"StreamThread-1\"} ")
                .contains("ciphertrail_writes_retrying ")
                .contains("ciphertrail_write_failures_total ");
    }

    /** Every label name on /metrics is one that holds names and codes only, and no value carries a secret or payload. */
    @Test
    void metricsCarryNoLabelThatCouldHoldASecret() throws Exception {
        String marker = "METRICS-MARKER-4711";
        sendEncrypted("orders.ingress", "orders", marker, marker, new RecordHeaders());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("orders.ingress", marker.getBytes(StandardCharsets.UTF_8), marker.getBytes(StandardCharsets.UTF_8))).get();
        }
        awaitQuarantined(keyed(marker), 1);
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        java.util.Set<String> labels = new java.util.TreeSet<>();
        java.util.regex.Matcher names = Pattern.compile("[{,]([a-z_]+)=\"").matcher(text.replaceAll("(?m)^#.*$", ""));
        while (names.find()) {
            labels.add(names.group(1));
        }
        assertThat(labels).isNotEmpty().isSubsetOf("policy", "rule", "reason", "kind", "topic", "partition", "thread", "outcome", "phase");
        String password = kafka.clientProperties("policy-service").get("ssl.keystore.password").toString();
        assertThat(text).doesNotContain(marker).doesNotContain(password).doesNotContain("kms-pw");
    }

    /** Runs last: it deletes and recreates the quarantine topic. */
    @Test
    @Order(Integer.MAX_VALUE)
    void aMissingQuarantineTopicIsRetriedWithBackOffAndReportedAndNothingIsSkipped() throws Exception {
        try (Admin admin = kafka.admin()) {
            admin.deleteTopics(List.of("ciphertrail.quarantine")).all().get();
            await().atMost(Duration.ofSeconds(30)).until(() -> !admin.listTopics().names().get().contains("ciphertrail.quarantine"));
        }
        // The service notices at its next topic refresh (every second here) and pauses: nothing meets the missing topic.
        await().atMost(Duration.ofSeconds(30)).until(() -> health().contains("\"status\":\"RETRYING\""));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client("legacy-service"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("orders.ingress", "waits-1".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8))).get();
        }
        assertThat(health()).contains("Cannot write to the quarantine topic 'ciphertrail.quarantine': it does not exist");
        assertThat(service.writes().failures()).isPositive();
        assertThat(service.state()).isNotEqualTo(org.apache.kafka.streams.KafkaStreams.State.ERROR);

        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("ciphertrail.quarantine", 1, (short) 1)
                    .configs(Map.of("retention.ms", "-1", "max.message.bytes", "1114124")))).all().get();
        }
        assertThat(awaitQuarantined(keyed("waits-1"), 1)).singleElement()
                .satisfies(q -> assertThat(q.reason().code()).isEqualTo("NOT_ENCRYPTED"));
        assertTheGateStillForwards("after-the-outage");
        assertThat(QuarantineTopic.read(client("operator"), "ciphertrail.quarantine", keyed("waits-1"))).hasSize(1);
    }
}
