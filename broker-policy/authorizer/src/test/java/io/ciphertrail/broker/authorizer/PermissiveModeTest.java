package io.ciphertrail.broker.authorizer;

import static io.ciphertrail.broker.authorizer.StrictModeTest.allow;
import static io.ciphertrail.broker.authorizer.StrictModeTest.byClient;
import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.AuthorizationInfo;
import io.ciphertrail.schemas.audit.Decision;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.protocol.ApiKeys;
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
 * PERMISSIVE mode: plaintext clients work (subject to ACLs) and every one of their requests is
 * audited. The audit topic is not created by the authorizer here, to show the broker starts and
 * serves clients without it and publishes what it kept once the topic exists.
 */
@WithSecureKafka(plaintextListener = true,
        authorizer = "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer",
        brokerProperties = {
            "ciphertrail.authorizer.mode=PERMISSIVE",
            "ciphertrail.authorizer.audit.window.ms=300",
            "ciphertrail.authorizer.audit.topic.create=false",
            "ciphertrail.authorizer.audit.retry.backoff.max.ms=1000"
        })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PermissiveModeTest {

    @Test
    @Order(1)
    void brokerServesClientsBeforeTheAuditTopicExistsAndPublishesOnceItDoes(EmbeddedSecureKafka kafka) throws Exception {
        try (Admin admin = kafka.admin()) {
            assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).doesNotContain(AuditTopicReader.TOPIC);
        }
        kafka.createTopics(1, "permissive-early");
        grantPlaintextAccess(kafka, "permissive-early");
        // TLS clients are served normally.
        assertThat(roundTrip(kafka.clientProperties(EmbeddedSecureKafka.ADMIN_IDENTITY), kafka.clientProperties(EmbeddedSecureKafka.ADMIN_IDENTITY),
                "permissive-early", "tls-early", "tls")).containsExactly("tls-early");
        // A plaintext client is let through and audited, while the topic is missing.
        assertThat(roundTrip(withClientId(kafka.plaintextClientProperties(), "permissive-early-plain"),
                withClientId(kafka.plaintextClientProperties(), "permissive-early-plain"), "permissive-early", "plain-early", "plain"))
                .contains("plain-early");

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && (pendingEvents() == 0 || CapturedLogs.auditLines().stream().noneMatch(l -> l.contains("permissive-early-plain")))) {
            Thread.sleep(100);
        }
        assertThat(CapturedLogs.auditLines()).anyMatch(l -> l.contains("\"clientId\":\"permissive-early-plain\"")
                && l.contains("\"eventType\":\"INSECURE_REQUEST_ALLOWED\""));
        assertThat(pendingEvents()).isPositive();
        // Logged clearly, and once (per authorizer instance: this combined node has a broker and a controller one).
        assertThat(CapturedLogs.lines()).filteredOn(l -> l.contains("[ciphertrail-audit-node1-broker] The audit topic 'ciphertrail.audit'"
                + " does not exist and ciphertrail.authorizer.audit.topic.create=false")).hasSize(1);
        try (Admin admin = kafka.admin()) {
            assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).doesNotContain(AuditTopicReader.TOPIC);
        }

        kafka.createTopics(1, AuditTopicReader.TOPIC);
        List<AuditEvent> kept = AuditTopicReader.await(kafka, byClient("permissive-early-plain"), found -> !found.isEmpty(), Duration.ofSeconds(30));
        assertThat(kept).isNotEmpty().allSatisfy(e -> assertThat(e.getAuthorization().getSecurityProtocol()).isEqualTo("PLAINTEXT"));
    }

    @Test
    @Order(2)
    void plaintextClientSucceedsAndEveryRequestIsAudited(EmbeddedSecureKafka kafka) throws Exception {
        kafka.createTopics(1, "permissive-orders");
        grantPlaintextAccess(kafka, "permissive-orders");
        List<String> values = roundTrip(withClientId(kafka.plaintextClientProperties(), "permissive-plain"),
                withClientId(kafka.plaintextClientProperties(), "permissive-plain"), "permissive-orders", "in clear, tolerated", "plain");
        assertThat(values).containsExactly("in clear, tolerated");

        List<AuditEvent> events = AuditTopicReader.await(kafka, byClient("permissive-plain"),
                found -> has(found, "WRITE") && has(found, "READ"), Duration.ofSeconds(30));
        AuditEvent write = events.stream().filter(e -> isTopicOp(e, "WRITE")).findFirst().orElseThrow();
        assertThat(write.getEventType()).isEqualTo(AuditEventType.INSECURE_REQUEST_ALLOWED);
        assertThat(write.getType()).isEqualTo("io.ciphertrail.kafka.server/authorization");
        assertThat(write.getSpecversion()).isEqualTo("1.0");
        assertThat(write.getSubject()).startsWith("crn:///kafka=").endsWith("/topic=permissive-orders");
        AuthorizationInfo info = write.getAuthorization();
        assertThat(info.getListener()).isEqualTo("PLAINTEXT");
        assertThat(info.getSecurityProtocol()).isEqualTo("PLAINTEXT");
        assertThat(info.getPrincipal()).isEqualTo("User:ANONYMOUS");
        assertThat(info.getOperation()).isEqualTo("WRITE");
        assertThat(info.getResourceType()).isEqualTo("TOPIC");
        assertThat(info.getResourceName()).isEqualTo("permissive-orders");
        assertThat(info.getDecision()).isEqualTo(Decision.ALLOWED);
        assertThat(info.getMode()).isEqualTo("PERMISSIVE");
        assertThat(info.getRequestType()).isEqualTo("PRODUCE");
        assertThat(info.getMethodName()).isEqualTo("kafka.Produce");
        assertThat(info.getCount()).isPositive();
        assertThat(info.getWindowEnd()).isAfterOrEqualTo(info.getWindowStart());
        assertThat(events).filteredOn(e -> isTopicOp(e, "READ")).first()
                .satisfies(read -> assertThat(read.getAuthorization().getRequestType()).isIn("FETCH", "OFFSET_FETCH", "OFFSET_COMMIT"));
    }

    @Test
    @Order(3)
    void plaintextShareConsumerIsServedAndEveryShareGroupRequestIsAudited(EmbeddedSecureKafka kafka) throws Exception {
        kafka.createTopics(1, "permissive-queue");
        String group = "permissive-queue-plain-workers";
        try (Admin admin = kafka.admin()) {
            List<AclBinding> acls = new ArrayList<>();
            for (AclOperation operation : List.of(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE)) {
                acls.add(new AclBinding(new ResourcePattern(ResourceType.GROUP, "permissive-queue", PatternType.PREFIXED),
                        new AccessControlEntry("User:ANONYMOUS", "*", operation, AclPermissionType.ALLOW)));
            }
            acls.add(allow("User:ANONYMOUS", ResourceType.TOPIC, "permissive-queue", AclOperation.READ));
            acls.add(allow("User:ANONYMOUS", ResourceType.TOPIC, "permissive-queue", AclOperation.DESCRIBE));
            admin.createAcls(acls).all().get(20, TimeUnit.SECONDS);
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group), List.of(
                    new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all().get(20, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafka.clientProperties(EmbeddedSecureKafka.ADMIN_IDENTITY),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("permissive-queue", "job", "queued, read in clear")).get(20, TimeUnit.SECONDS);
        }
        Map<String, Object> props = withClientId(kafka.plaintextClientProperties(), "permissive-plain-share");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        List<String> values = new ArrayList<>();
        try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("permissive-queue"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (values.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
            }
            consumer.commitSync();
        }
        assertThat(values).containsExactly("queued, read in clear");
        try (PlaintextRequests client = new PlaintextRequests(kafka.plaintextBootstrapServers().orElseThrow(), "permissive-share-raw")) {
            ShareGroupRequests.all("permissive-queue", StrictModeTest.topicId(kafka, "permissive-queue"), PermissiveModeTest::queueGroup)
                    .values().forEach(client::send);
        }

        List<AuditEvent> events = AuditTopicReader.await(kafka, ShareGroupRequests.plaintextEventsOn("permissive-queue"),
                found -> ShareGroupRequests.everyApiAudited(found, PermissiveModeTest::queueGroup)
                        && found.stream().anyMatch(e -> e.getAuthorization().getResourceName().equals(group)), Duration.ofSeconds(30));
        assertThat(ShareGroupRequests.everyApiAudited(events, PermissiveModeTest::queueGroup)).as("an event for every share-group API: " + events).isTrue();
        // The member's own requests: tolerated and audited, on its group and on the topic it read.
        assertThat(events).filteredOn(e -> e.getAuthorization().getResourceName().equals(group)).isNotEmpty()
                .allSatisfy(e -> assertThat(e.getEventType()).isEqualTo(AuditEventType.INSECURE_REQUEST_ALLOWED));
        assertThat(events).anyMatch(e -> e.getAuthorization().getResourceName().equals("permissive-queue")
                && e.getAuthorization().getOperation().equals("READ") && e.getEventType() == AuditEventType.INSECURE_REQUEST_ALLOWED);
        // Client APIs pass the ACLs and are audited as tolerated; the share-state APIs need CLUSTER_ACTION, which ACLs deny.
        ShareGroupRequests.GROUP_APIS.keySet().forEach(api -> assertThat(events)
                .filteredOn(e -> e.getAuthorization().getResourceName().equals(queueGroup(api))).isNotEmpty()
                .allSatisfy(e -> assertThat(e.getEventType()).isEqualTo(AuditEventType.INSECURE_REQUEST_ALLOWED)));
        assertThat(events).filteredOn(e -> e.getAuthorization().getOperation().equals("CLUSTER_ACTION"))
                .allSatisfy(e -> assertThat(e.getEventType()).isEqualTo(AuditEventType.ACL_DENIED));
    }

    private static String queueGroup(ApiKeys api) {
        return "permissive-queue-" + api.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static boolean has(List<AuditEvent> events, String operation) {
        return events.stream().anyMatch(e -> isTopicOp(e, operation));
    }

    /** An operation on the test's topic (an idempotent producer is also checked for WRITE on any topic, as topic=*). */
    private static boolean isTopicOp(AuditEvent e, String operation) {
        return e.getAuthorization().getResourceType().equals("TOPIC") && e.getAuthorization().getOperation().equals(operation)
                && e.getAuthorization().getResourceName().equals("permissive-orders");
    }

    private static void grantPlaintextAccess(EmbeddedSecureKafka kafka, String topic) throws Exception {
        try (Admin admin = kafka.admin()) {
            admin.createAcls(List.of(
                    allow("User:ANONYMOUS", ResourceType.TOPIC, topic, AclOperation.WRITE),
                    allow("User:ANONYMOUS", ResourceType.TOPIC, topic, AclOperation.READ),
                    allow("User:ANONYMOUS", ResourceType.GROUP, topic + "-plain", AclOperation.READ)))
                    .all().get(20, TimeUnit.SECONDS);
        }
    }

    private static Map<String, Object> withClientId(Map<String, Object> props, String clientId) {
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return props;
    }

    private static List<String> roundTrip(Map<String, Object> producerProps, Map<String, Object> consumerProps, String topic,
                                          String value, String group) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", value)).get(20, TimeUnit.SECONDS);
        }
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-" + group);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!values.contains(value) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
            }
        }
        return values;
    }

    /** The audit-events-pending plugin metric of the broker's authorizer, read over JMX as an operator would. */
    private static long pendingEvents() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        long pending = 0;
        for (ObjectName name : server.queryNames(new ObjectName("kafka.server:type=plugins,*"), null)) {
            if (name.toString().contains("SecureTransportAuthorizer")) {
                try {
                    pending += ((Number) server.getAttribute(name, "audit-events-pending")).longValue();
                } catch (javax.management.AttributeNotFoundException ignored) {
                    // another metric group of the plugin
                }
            }
        }
        return pending;
    }
}
