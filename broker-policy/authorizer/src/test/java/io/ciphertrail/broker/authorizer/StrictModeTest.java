package io.ciphertrail.broker.authorizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.AuthorizationInfo;
import io.ciphertrail.schemas.audit.Decision;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * STRICT mode on a broker with a mutual-TLS listener (whose client authentication is only
 * "requested", to show anonymous TLS clients are denied) and a PLAINTEXT listener. User:ANONYMOUS —
 * what every plaintext client and every TLS client without a certificate is — is a super user here,
 * to prove that the transport checks come before the super-user check.
 */
@WithSecureKafka(plaintextListener = true,
        authorizer = "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer",
        superUsers = "User:ANONYMOUS",
        brokerProperties = {
            "ciphertrail.authorizer.mode=STRICT",
            "ciphertrail.authorizer.audit.window.ms=300",
            "listener.name.ssl.ssl.client.auth=requested"
        })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StrictModeTest {
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(30);

    @Test
    void plaintextProducerIsDeniedEvenForASuperUser(EmbeddedSecureKafka kafka) {
        kafka.createTopics(1, "strict-orders");
        Map<String, Object> props = kafka.plaintextClientProperties();
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "strict-plain-producer");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("strict-orders", "k", "in clear")).get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(TopicAuthorizationException.class)
                    .hasMessageContaining("Not authorized to access topics: [strict-orders]");
        }
        List<AuditEvent> events = awaitEvents(kafka, byClient("strict-plain-producer").and(on("strict-orders")));
        AuthorizationInfo denied = events.get(0).getAuthorization();
        assertThat(events.get(0).getEventType()).isEqualTo(AuditEventType.INSECURE_REQUEST_DENIED);
        assertThat(events.get(0).getSubject()).endsWith("/topic=strict-orders");
        assertThat(denied.getListener()).isEqualTo("PLAINTEXT");
        assertThat(denied.getSecurityProtocol()).isEqualTo("PLAINTEXT");
        assertThat(denied.getPrincipal()).isEqualTo("User:ANONYMOUS");
        assertThat(denied.getClientAddress()).isEqualTo("127.0.0.1");
        assertThat(denied.getResourceType()).isEqualTo("TOPIC");
        assertThat(denied.getDecision()).isEqualTo(Decision.DENIED);
        assertThat(denied.getMode()).isEqualTo("STRICT");
        assertThat(denied.getReason()).contains("STRICT", "PLAINTEXT");
        assertThat(denied.getCount()).isPositive();
    }

    @Test
    void plaintextConsumerIsDenied(EmbeddedSecureKafka kafka) {
        kafka.createTopics(1, "strict-payments");
        Map<String, Object> props = kafka.plaintextClientProperties();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "strict-plain-consumer");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(new TopicPartition("strict-payments", 0)));
            assertThatThrownBy(() -> {
                for (int i = 0; i < 50; i++) {
                    consumer.poll(Duration.ofMillis(200));
                }
            }).isInstanceOf(TopicAuthorizationException.class)
                    .hasMessageContaining("Not authorized to access topics: [strict-payments]");
        }
        assertThat(awaitEvents(kafka, byClient("strict-plain-consumer").and(on("strict-payments"))))
                .allSatisfy(e -> assertThat(e.getEventType()).isEqualTo(AuditEventType.INSECURE_REQUEST_DENIED));
    }

    @Test
    void plaintextAdminCannotCreateTopicsThroughTheControllerEither(EmbeddedSecureKafka kafka) {
        Map<String, Object> props = kafka.plaintextClientProperties();
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "strict-plain-admin");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(props)) {
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("strict-sneaky", 1, (short) 1))).all().get(20, TimeUnit.SECONDS))
                    .cause().isInstanceOf(TopicAuthorizationException.class);
        }
        try (Admin admin = kafka.admin()) {
            assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).doesNotContain("strict-sneaky");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void sslClientsWithAclsSucceedAndWithoutAclsAreDenied(EmbeddedSecureKafka kafka) throws Exception {
        kafka.createTopics(1, "strict-ledger");
        try (Admin admin = kafka.admin()) {
            admin.createAcls(List.of(
                    allow("User:ledger-writer", ResourceType.TOPIC, "strict-ledger", AclOperation.WRITE),
                    allow("User:ledger-reader", ResourceType.TOPIC, "strict-ledger", AclOperation.READ),
                    allow("User:ledger-reader", ResourceType.GROUP, "strict-ledger-readers", AclOperation.READ)))
                    .all().get(20, TimeUnit.SECONDS);
        }
        Map<String, Object> writer = kafka.clientProperties("ledger-writer");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(writer, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("strict-ledger", "k", "over mTLS")).get(20, TimeUnit.SECONDS);
        }
        Map<String, Object> reader = kafka.clientProperties("ledger-reader");
        reader.put(ConsumerConfig.GROUP_ID_CONFIG, "strict-ledger-readers");
        reader.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(reader, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("strict-ledger"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (values.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
            }
        }
        assertThat(values).containsExactly("over mTLS");

        Map<String, Object> stranger = kafka.clientProperties("ledger-stranger");
        stranger.put(ProducerConfig.CLIENT_ID_CONFIG, "strict-ssl-stranger");
        stranger.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(stranger, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("strict-ledger", "k", "no ACL")).get(20, TimeUnit.SECONDS))
                    .cause().isInstanceOf(TopicAuthorizationException.class)
                    .hasMessageContaining("Not authorized to access topics: [strict-ledger]");
        }
        AuditEvent aclDenied = awaitEvents(kafka, byClient("strict-ssl-stranger").and(on("strict-ledger"))).get(0);
        assertThat(aclDenied.getEventType()).isEqualTo(AuditEventType.ACL_DENIED);
        assertThat(aclDenied.getAuthorization().getSecurityProtocol()).isEqualTo("SSL");
        assertThat(aclDenied.getAuthorization().getPrincipal()).isEqualTo("User:ledger-stranger");
    }

    @Test
    void tlsClientWithoutCertificateIsDeniedOnARequestedClientAuthListener(EmbeddedSecureKafka kafka) {
        kafka.createTopics(1, "strict-anon");
        Map<String, Object> props = new HashMap<>(kafka.clientProperties("unused"));
        props.remove(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG);
        props.remove(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG);
        props.remove(SslConfigs.SSL_KEY_PASSWORD_CONFIG);
        props.remove(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "strict-anonymous-tls");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("strict-anon", "k", "who am I")).get(20, TimeUnit.SECONDS))
                    .cause().isInstanceOf(TopicAuthorizationException.class);
        }
        AuditEvent event = awaitEvents(kafka, byClient("strict-anonymous-tls").and(on("strict-anon"))).get(0);
        assertThat(event.getEventType()).isEqualTo(AuditEventType.ANONYMOUS_REQUEST_DENIED);
        assertThat(event.getAuthorization().getSecurityProtocol()).isEqualTo("SSL");
        assertThat(event.getAuthorization().getListener()).isEqualTo("SSL");
        assertThat(event.getAuthorization().getPrincipal()).isEqualTo("User:ANONYMOUS");
    }

    @Test
    void hammeringClientYieldsFewEventsWhoseCountsAddUpToItsRequests(EmbeddedSecureKafka kafka) throws Exception {
        kafka.createTopics(1, "strict-hammered");
        int requests = 300;
        Map<String, Object> props = kafka.plaintextClientProperties();
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "strict-hammer");
        try (Admin admin = Admin.create(props)) {
            for (int i = 0; i < requests; i++) {
                try {
                    admin.describeAcls(org.apache.kafka.common.acl.AclBindingFilter.ANY).values().get(10, TimeUnit.SECONDS);
                    throw new AssertionError("describeAcls over plaintext succeeded");
                } catch (ExecutionException expected) {
                    assertThat(expected.getCause()).isInstanceOf(org.apache.kafka.common.errors.ClusterAuthorizationException.class);
                }
            }
        }
        Predicate<AuditEvent> hammer = byClient("strict-hammer")
                .and(e -> e.getAuthorization().getResourceType().equals("CLUSTER") && e.getAuthorization().getOperation().equals("DESCRIBE"));
        List<AuditEvent> events = AuditTopicReader.await(kafka, hammer, found -> AuditTopicReader.countSum(found) >= requests, EVENT_TIMEOUT);
        assertThat(AuditTopicReader.countSum(events)).isEqualTo(requests);
        assertThat(events.size()).isLessThan(requests / 10);
        assertThat(events).allSatisfy(e -> assertThat(e.getAuthorization().getRequestType()).isEqualTo("DESCRIBE_ACLS"));
    }

    @Test
    void kcatOverPlaintextIsDenied(EmbeddedSecureKafka kafka) throws Exception {
        Kcat.assumeInstalled();
        kafka.createTopics(1, "strict-kcat");
        String bootstrap = kafka.plaintextBootstrapServers().orElseThrow();
        Kcat.Result produced = Kcat.run("hello from librdkafka\n", "-b", bootstrap, "-X", "client.id=strict-kcat",
                "-X", "security.protocol=plaintext", "-t", "strict-kcat", "-P");
        assertThat(produced.exitCode()).as(produced.toString()).isNotZero();
        assertThat(produced.output()).as(produced.toString()).containsIgnoringCase("authorization failed");

        Kcat.Result consumed = Kcat.run("", "-b", bootstrap, "-X", "client.id=strict-kcat", "-X", "security.protocol=plaintext",
                "-t", "strict-kcat", "-C", "-o", "beginning", "-e");
        assertThat(consumed.exitCode()).as(consumed.toString()).isNotZero();
        assertThat(consumed.output()).as(consumed.toString()).containsIgnoringCase("authorization failed");
        assertThat(awaitEvents(kafka, byClient("strict-kcat").and(on("strict-kcat"))))
                .allSatisfy(e -> assertThat(e.getEventType()).isEqualTo(AuditEventType.INSECURE_REQUEST_DENIED));
    }

    @Test
    void everyShareGroupRequestOverPlaintextIsDeniedAndAudited(EmbeddedSecureKafka kafka) throws Exception {
        kafka.createTopics(1, "strict-queue");
        Map<ApiKeys, AbstractRequest.Builder<?>> requests = ShareGroupRequests.all("strict-queue", topicId(kafka, "strict-queue"),
                StrictModeTest::strictQueueGroup);
        try (PlaintextRequests client = new PlaintextRequests(kafka.plaintextBootstrapServers().orElseThrow(), "strict-share-raw")) {
            requests.forEach((api, request) -> assertThat(client.send(request).errorCounts()).as(api.name()).containsKey(
                    ShareGroupRequests.STATE_APIS.contains(api) ? Errors.CLUSTER_AUTHORIZATION_FAILED : Errors.GROUP_AUTHORIZATION_FAILED));
        }
        // A real share consumer over plaintext gets no further than its first request.
        Map<String, Object> props = kafka.plaintextClientProperties();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "strict-plain-share");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "strict-queue-plain-workers");
        try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("strict-queue"));
            assertThatThrownBy(() -> {
                for (int i = 0; i < 50; i++) {
                    consumer.poll(Duration.ofMillis(200));
                }
            }).isInstanceOf(AuthorizationException.class);
        }

        List<AuditEvent> events = AuditTopicReader.await(kafka, ShareGroupRequests.plaintextEventsOn("strict-queue"),
                found -> ShareGroupRequests.everyApiAudited(found, StrictModeTest::strictQueueGroup)
                        && found.stream().anyMatch(e -> e.getAuthorization().getResourceName().equals("strict-queue")), EVENT_TIMEOUT);
        assertThat(ShareGroupRequests.everyApiAudited(events, StrictModeTest::strictQueueGroup)).as("an event for every share-group API: " + events).isTrue();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.getEventType()).isEqualTo(AuditEventType.INSECURE_REQUEST_DENIED);
            assertThat(e.getAuthorization().getDecision()).isEqualTo(Decision.DENIED);
        });
        ShareGroupRequests.GROUP_APIS.forEach((api, operation) -> assertThat(events)
                .filteredOn(e -> e.getAuthorization().getResourceName().equals(strictQueueGroup(api))).singleElement()
                .satisfies(e -> {
                    assertThat(e.getAuthorization().getRequestType()).isEqualTo(api.name());
                    assertThat(e.getAuthorization().getResourceType()).isEqualTo("GROUP");
                    assertThat(e.getAuthorization().getOperation()).isEqualTo(operation.name());
                    assertThat(e.getAuthorization().getPrincipal()).isEqualTo("User:ANONYMOUS");
                }));
    }

    static Uuid topicId(EmbeddedSecureKafka kafka, String topic) throws Exception {
        try (Admin admin = kafka.admin()) {
            return admin.describeTopics(List.of(topic)).topicNameValues().get(topic).get(20, TimeUnit.SECONDS).topicId();
        }
    }

    private static String strictQueueGroup(ApiKeys api) {
        return "strict-queue-" + api.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void storePasswordsNeverAppearInAuditEventsOrLogs(EmbeddedSecureKafka kafka) throws IOException {
        Properties server = new Properties();
        try (Reader in = Files.newBufferedReader(kafka.directory().resolve("server.properties"))) {
            server.load(in);
        }
        List<String> secrets = new ArrayList<>();
        for (String key : server.stringPropertyNames()) {
            if (key.endsWith(".password")) {
                secrets.add(server.getProperty(key));
            }
        }
        assertThat(secrets).isNotEmpty();
        // Something was audited and published by now (this runs last).
        List<AuditEvent> all = AuditTopicReader.await(kafka, e -> true, found -> found.size() >= 5, EVENT_TIMEOUT);
        assertThat(all).hasSizeGreaterThanOrEqualTo(5);
        List<String> logs = CapturedLogs.lines();
        assertThat(CapturedLogs.auditLines()).isNotEmpty();
        for (String secret : secrets) {
            assertThat(all).noneMatch(e -> e.toString().contains(secret));
            assertThat(logs).noneMatch(line -> line.contains(secret));
        }
    }

    static List<AuditEvent> awaitEvents(EmbeddedSecureKafka kafka, Predicate<AuditEvent> filter) {
        List<AuditEvent> events = AuditTopicReader.await(kafka, filter, found -> !found.isEmpty(), EVENT_TIMEOUT);
        assertThat(events).as("audit events").isNotEmpty();
        return events;
    }

    static Predicate<AuditEvent> byClient(String clientId) {
        return e -> e.getAuthorization() != null && clientId.equals(e.getAuthorization().getClientId());
    }

    static Predicate<AuditEvent> on(String topic) {
        return e -> e.getAuthorization().getResourceType().equals("TOPIC") && e.getAuthorization().getResourceName().equals(topic);
    }

    static AclBinding allow(String principal, ResourceType type, String name, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
    }
}
