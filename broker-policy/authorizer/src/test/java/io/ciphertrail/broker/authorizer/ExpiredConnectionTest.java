package io.ciphertrail.broker.authorizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.IssuedCertificate;
import io.ciphertrail.core.pki.TlsFiles;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.AuthorizationInfo;
import io.ciphertrail.schemas.audit.Decision;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A connection that stays open while its client certificate expires: TLS never looks at the certificate again, so the
 * authorizer does, and denies the connection's next request with an audit event that says why. (The same broker
 * settings as {@link BrokerCertificateRenewalTest}, so both run on one broker.)
 */
@WithSecureKafka(authorizer = "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer",
        brokerProperties = {
            "principal.builder.class=io.ciphertrail.broker.authorizer.CertificatePrincipalBuilder",
            "ciphertrail.authorizer.audit.window.ms=300"
        })
class ExpiredConnectionTest {
    private static final String CLIENT = "expiring-client";
    private static final String TOPIC = "expiring-orders";
    private static final Duration LIFETIME = Duration.ofSeconds(10);

    @Test
    void aRequestOnAConnectionWhoseCertificateExpiredSinceItOpenedIsDeniedAndAudited(EmbeddedSecureKafka kafka) throws Exception {
        kafka.createTopics(1, TOPIC);
        try (Admin admin = kafka.admin()) {
            admin.createAcls(List.of(
                    StrictModeTest.allow("User:" + CLIENT, ResourceType.TOPIC, TOPIC, AclOperation.WRITE),
                    StrictModeTest.allow("User:" + CLIENT, ResourceType.TOPIC, TOPIC, AclOperation.DESCRIBE))).all().get(30, TimeUnit.SECONDS);
        }
        IssuedCertificate shortLived = kafka.certificateAuthority().issue(CertificateSpec.workload(CLIENT)
                .notBefore(Instant.now().minusSeconds(1)).validity(LIFETIME));
        TlsFiles tls = TlsFiles.write(Files.createTempDirectory(kafka.directory(), "expiring-client"), shortLived, List.of(kafka.caCertificate()));
        Map<String, Object> props = kafka.clientProperties(CLIENT);
        props.putAll(tls.kafkaSslProperties());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "expiring-producer");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        props.put(ProducerConfig.RETRIES_CONFIG, 0);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // One connection, kept open across the expiry: no idle close, no metadata refresh in between.
        props.put(ProducerConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG, 600_000);
        props.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, 600_000);

        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(TOPIC, "k", "while the certificate is valid")).get(10, TimeUnit.SECONDS);

            long untilExpired = shortLived.certificate().getNotAfter().getTime() + 1_500 - System.currentTimeMillis();
            Thread.sleep(Math.max(0, untilExpired));

            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(TOPIC, "k", "after it expired")).get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
        }

        AuditEvent event = StrictModeTest.awaitEvents(kafka, StrictModeTest.byClient("expiring-producer")
                .and(e -> e.getEventType() == AuditEventType.EXPIRED_CERTIFICATE_DENIED)).get(0);
        AuthorizationInfo denied = event.getAuthorization();
        assertThat(denied.getDecision()).isEqualTo(Decision.DENIED);
        assertThat(denied.getPrincipal()).isEqualTo("User:" + CLIENT);
        assertThat(denied.getResourceName()).isEqualTo(TOPIC);
        assertThat(denied.getOperation()).isEqualTo("WRITE");
        assertThat(denied.getReason()).contains("has expired", "reconnect with a valid one");
    }
}
