package io.ciphertrail.broker.authorizer;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.core.pki.IssuedCertificate;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The broker's own certificate renewed while it runs (its TLS listeners reload their stores through dynamic
 * configuration): the ACLs created and removed afterwards still decide who may use a topic.
 */
@WithSecureKafka(authorizer = "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer",
        brokerProperties = {
            "principal.builder.class=io.ciphertrail.broker.authorizer.CertificatePrincipalBuilder",
            "ciphertrail.authorizer.audit.window.ms=300"
        })
class BrokerCertificateRenewalTest {
    /**
     * Kafka applies a committed ACL on the broker within milliseconds; this allows for a busy host, not for a broker whose
     * metadata publishing is held up by a reload of every listener's TLS stores (seconds per renewal, measured 3 to 10 s
     * on a busy 2-core host).
     */
    private static final Duration ACL_TIMEOUT = Duration.ofSeconds(5);
    private static final int RENEWALS = 2;

    @Test
    void aclsCreatedAndRemovedAfterTheBrokerRenewedItsCertificateTakeEffect(EmbeddedSecureKafka kafka) throws Exception {
        String topic = "renewed-broker-acls";
        String client = "renewal-acl-client";
        kafka.createTopics(1, topic);
        X509Certificate before = kafka.presentedCertificate();

        // Renewals in quick succession, as with short lifetimes or a retry after a failed renewal.
        X509Certificate renewed = before;
        for (int i = 0; i < RENEWALS; i++) {
            renewed = renew(kafka);
        }
        assertThat(renewed.getSerialNumber()).isNotEqualTo(before.getSerialNumber());

        List<AclBinding> grants = List.of(
                allow(client, new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL), AclOperation.WRITE),
                allow(client, new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL), AclOperation.DESCRIBE));
        try (Admin admin = kafka.admin()) {
            admin.createAcls(grants).all().get(30, TimeUnit.SECONDS);
            awaitSend(kafka, client, topic, true);

            admin.deleteAcls(grants.stream().map(AclBinding::toFilter).toList()).all().get(30, TimeUnit.SECONDS);
            awaitSend(kafka, client, topic, false);
        }
        assertThat(kafka.presentedCertificate()).as("what new connections get").isEqualTo(renewed);
    }

    /** A new broker certificate as the workload CA makes them: a day's lifetime and a SPIFFE ID beside the names. */
    private static X509Certificate renew(EmbeddedSecureKafka kafka) {
        IssuedCertificate next = kafka.certificateAuthority().issue(kafka.brokerCertificateSpec()
                .uris(List.of("spiffe://ciphertrail.local/" + EmbeddedSecureKafka.BROKER_IDENTITY)).validity(Duration.ofHours(24)));
        kafka.renewCertificate(next, List.of(kafka.caCertificate()));
        return next.certificate();
    }

    static AclBinding allow(String identity, ResourcePattern resource, AclOperation operation) {
        return new AclBinding(resource, new AccessControlEntry("User:" + identity, "*", operation, AclPermissionType.ALLOW));
    }

    /** Sends from a new producer (a new connection, so the broker's new certificate) until the send is allowed or denied as expected. */
    private static void awaitSend(EmbeddedSecureKafka kafka, String identity, String topic, boolean allowed) throws InterruptedException {
        long deadline = System.nanoTime() + ACL_TIMEOUT.toNanos();
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            Map<String, Object> props = kafka.clientProperties(identity);
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5_000);
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(topic, "k", "v")).get(10, TimeUnit.SECONDS);
                last = null;
            } catch (ExecutionException | java.util.concurrent.TimeoutException | org.apache.kafka.common.KafkaException e) {
                last = e instanceof ExecutionException ? e.getCause() : e;
            }
            if (allowed == (last == null)) {
                if (!allowed) {
                    assertThat(last).isInstanceOf(TopicAuthorizationException.class);
                }
                return;
            }
            Thread.sleep(250);
        }
        throw allowed
                ? new AssertionError("User:" + identity + " still cannot write to " + topic + " " + ACL_TIMEOUT.toSeconds()
                        + " s after its ACL was created on the renewed broker", last)
                : new AssertionError("User:" + identity + " can still write to " + topic + " " + ACL_TIMEOUT.toSeconds()
                        + " s after its ACL was removed from the renewed broker");
    }
}
