package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.consumer.SecureConsumer;
import io.ciphertrail.core.identity.WorkloadIdentities;
import io.ciphertrail.core.identity.WorkloadIdentity;
import io.ciphertrail.policy.PolicyService;
import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.producer.SecureProducerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform services of {@code up} on short-lived certificates and no key file: the policy service (a one-time token,
 * then renewals at the trust service) and the key service (issued in process by the CA it hosts) run on 20-second
 * certificates through several renewals while records pass the gate, and nothing is lost. A policy service started
 * again, as a new process would, bootstraps with the token the platform put in place after the first one was used.
 */
class PlatformIdentitiesTest {
    private static final Duration LIFETIME = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void thePlatformServicesRunOnTwentySecondCertificatesThroughRenewalsWhileRecordsPassTheGate() throws Exception {
        Home home = new Home(dir.resolve("home"));
        try (LocalPlatform platform = LocalPlatform.start(home, 1, 0, 0, 0, 0, PlatformIdentities.STANDARD.withServices(LIFETIME))) {
            PlatformWatch.awaitReady(platform, new PrintWriter(new StringWriter(), true), Duration.ofMinutes(2));
            Map<String, Object> serviceSettings = platform.serviceSettings();
            assertThat(serviceSettings).containsEntry("ciphertrail.identity.name", LocalPlatform.SERVICE)
                    .doesNotContainKeys("ssl.keystore.location", "ssl.keystore.key", "ssl.key.password", "ciphertrail.kms.type");
            WorkloadIdentity gate = WorkloadIdentities.find(serviceSettings).orElseThrow();
            WorkloadIdentity keyService = platform.keyService().ownIdentity().orElseThrow();

            Map<String, Object> consumerSettings = platform.clientSettings(LocalPlatform.CONSUMER);
            consumerSettings.put("group.id", "platform-identities");
            consumerSettings.put("auto.offset.reset", "earliest");
            List<String> sent = new CopyOnWriteArrayList<>();
            List<String> received = new CopyOnWriteArrayList<>();
            Map<String, Object> producerSettings = platform.clientSettings(LocalPlatform.PRODUCER);
            producerSettings.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, LocalPlatform.DEMO_INGRESS + ":" + LocalPlatform.DEMO_EGRESS);
            try (SecureProducer<String, String> producer = new SecureProducer<>(producerSettings, new StringSerializer(), new StringSerializer());
                 SecureConsumer<String, String> consumer = new SecureConsumer<>(consumerSettings, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(LocalPlatform.DEMO_EGRESS));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                int n = 0;
                while (System.nanoTime() < deadline && (gate.renewals() < 3 || keyService.renewals() < 3)) {
                    String value = "{\"order\":" + n++ + "}";
                    producer.send(new ProducerRecord<>(LocalPlatform.DEMO_INGRESS, value, value)).get(30, TimeUnit.SECONDS);
                    sent.add(value);
                    consumer.poll(Duration.ofMillis(200)).forEach(record -> received.add(record.value()));
                }
                assertThat(gate.renewals()).as("renewals of the policy service's certificate").isGreaterThanOrEqualTo(3);
                assertThat(keyService.renewals()).as("renewals of the key service's certificate").isGreaterThanOrEqualTo(3);
                assertThat(gate.renewalFailures() + keyService.renewalFailures()).isZero();
                assertThat(platform.service().state()).isEqualTo(KafkaStreams.State.RUNNING);
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(record -> received.add(record.value()));
                    return received.size() >= sent.size();
                });
                assertThat(received).as("every record passed the gate, in order").containsExactlyElementsOf(sent);

                // Started again, as a new process would (no certificate in memory: a token file of its own copied from the
                // platform's), the policy service bootstraps with the token put in place after the first one was used.
                platform.service().close();
                Path tokenFile = Path.of(serviceSettings.get("ciphertrail.identity.bootstrap.token.file").toString());
                Path copy = tokenFile.resolveSibling("policy-service-restarted.token");
                Files.copy(tokenFile, copy);
                Map<String, Object> restartedSettings = platform.serviceSettings();
                restartedSettings.put("ciphertrail.identity.bootstrap.token.file", copy.toString());
                try (PolicyService restarted = PolicyService.start(restartedSettings)) {
                    WorkloadIdentity again = WorkloadIdentities.find(restartedSettings).orElseThrow();
                    assertThat(again).isNotSameAs(gate);
                    Awaitility.await().atMost(Duration.ofMinutes(2)).until(() -> restarted.state() == KafkaStreams.State.RUNNING);
                    String last = "{\"order\":\"after restart\"}";
                    producer.send(new ProducerRecord<>(LocalPlatform.DEMO_INGRESS, last, last)).get(30, TimeUnit.SECONDS);
                    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
                        consumer.poll(Duration.ofMillis(200)).forEach(record -> received.add(record.value()));
                        return received.contains(last);
                    });
                }
            }
            // No key file for either service anywhere in the home.
            assertThat(keyFiles(home.root())).noneMatch(file -> file.toString().contains(LocalPlatform.SERVICE)
                    || file.toString().contains(LocalPlatform.KEY_SERVICE));
        }
    }

    private static List<Path> keyFiles(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).filter(PlatformIdentitiesTest::holdsAKey).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean holdsAKey(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".p12") || name.endsWith(".jks") || name.endsWith(".key")) {
            return true;
        }
        try {
            return Files.size(file) < 10_000_000 && new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains("PRIVATE KEY");
        } catch (IOException e) {
            return false;
        }
    }
}
