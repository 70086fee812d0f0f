package io.ciphertrail.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.consumer.SecureConsumer;
import io.ciphertrail.core.identity.IdentityMaterial;
import io.ciphertrail.core.identity.WorkloadIdentities;
import io.ciphertrail.core.identity.WorkloadIdentity;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.remote.RemoteKmsProvider;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import io.ciphertrail.producer.SecureProducer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue's end-to-end case: a producer and a consumer whose only TLS identity is a 20-second certificate from the
 * trust service (key pair in memory, first certificate with a one-time token) run through at least three renewals
 * against the TLS-only broker, which refuses any request on a connection whose certificate has expired. The broker's
 * principal builder sees every new serial, no send or poll fails, every record arrives, and no key is written to disk.
 */
@WithSecureKafka(authorizer = "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer", brokerProperties = {
        "principal.builder.class=io.ciphertrail.broker.authorizer.CertificatePrincipalBuilder",
        "allow.everyone.if.no.acl.found=true"})
class ShortLivedCertificatesTest {
    private static final Duration LIFETIME = Duration.ofSeconds(20);
    private static final int RENEWALS = 3;
    /** What the broker's principal builder logs for each new TLS connection. */
    private static final Pattern CONNECTED = Pattern.compile("^io\\.ciphertrail\\.broker\\.connections User:(\\S+) connected from .* with certificate serial (\\p{XDigit}+) ");

    @TempDir
    Path dir;

    @Test
    void aProducerAndAConsumerOnTwentySecondCertificatesRunThroughThreeRenewalsWithNothingFailedAndNoKeyOnDisk(EmbeddedSecureKafka kafka)
            throws Exception {
        String topic = "short-lived-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        kafka.createTopics(1, topic);
        IdentityFixture fixture = new IdentityFixture(dir, kafka);
        try (TrustService service = fixture.start()) {
            fixture.trust().writePolicy("rules:\n"
                    + "  - {name: writer, principals: [User:sl-writer], keys: [\"ciphertrail/topic/" + topic + "\"], operations: [ENCRYPT, DERIVE]}\n"
                    + "  - {name: reader, principals: [User:sl-reader], keys: [\"ciphertrail/topic/" + topic + "\"], operations: [DECRYPT, DERIVE]}\n"
                    + "  - {name: admin, principals: [User:ciphertrail-admin], keys: [\"*\"], operations: [ADMIN]}\n");
            try (KmsAdmin admin = KmsConfig.admin(fixture.trust().clientSettings(IdentityFixture.ADMIN, service))) {
                admin.create("ciphertrail/topic/" + topic);
            }
            Instant started = Instant.now();
            Map<String, Object> writer = client(fixture, service, "sl-writer");
            Map<String, Object> reader = client(fixture, service, "sl-reader");
            reader.put("group.id", "short-lived-reader");
            reader.put("auto.offset.reset", "earliest");

            List<String> sent = new CopyOnWriteArrayList<>();
            List<String> received = new CopyOnWriteArrayList<>();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            Map<String, Set<String>> issued = new ConcurrentHashMap<>();
            AtomicBoolean running = new AtomicBoolean(true);

            try (SecureProducer<String, String> producer = new SecureProducer<>(writer, new StringSerializer(), new StringSerializer());
                 SecureConsumer<String, String> consumer = new SecureConsumer<>(reader, new StringDeserializer(), new StringDeserializer())) {
                WorkloadIdentity writerIdentity = WorkloadIdentities.find(writer).orElseThrow();
                WorkloadIdentity readerIdentity = WorkloadIdentities.find(reader).orElseThrow();
                for (WorkloadIdentity identity : List.of(writerIdentity, readerIdentity)) {
                    Set<String> serials = issued.computeIfAbsent(identity.name(), name -> ConcurrentHashMap.newKeySet());
                    identity.current().map(IdentityMaterial::serialHex).ifPresent(serials::add);
                    identity.addListener(material -> serials.add(material.serialHex()));
                }
                consumer.subscribe(List.of(topic));
                Thread polling = new Thread(() -> {
                    while (running.get() || received.size() < sent.size()) {
                        try {
                            consumer.poll(Duration.ofMillis(200)).forEach(record -> received.add(record.value()));
                        } catch (RuntimeException e) {
                            failures.add(e);
                            return;
                        }
                    }
                }, "short-lived-consumer");
                polling.start();

                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                int n = 0;
                while (System.nanoTime() < deadline && failures.isEmpty() && !brokerSawRenewedCertificates()) {
                    String value = "record #" + n++;
                    try {
                        producer.send(new ProducerRecord<>(topic, value, value)).get(30, TimeUnit.SECONDS);
                        sent.add(value);
                    } catch (Exception e) {
                        failures.add(e);
                    }
                    Thread.sleep(100);
                }
                running.set(false);
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !failures.isEmpty() || received.size() >= sent.size());
                polling.join(TimeUnit.SECONDS.toMillis(10));

                assertThat(failures).as("sends and polls that failed").isEmpty();
                assertThat(writerIdentity.renewals()).isGreaterThanOrEqualTo(RENEWALS);
                assertThat(readerIdentity.renewals()).isGreaterThanOrEqualTo(RENEWALS);
                assertThat(writerIdentity.renewalFailures() + readerIdentity.renewalFailures()).isZero();
                assertThat(received).containsExactlyElementsOf(sent);
            }

            // The broker saw the new certificates: every connection names its serial, and each identity connected
            // with at least its first certificate and three renewed ones, all of them issued by the trust service.
            Map<String, Set<String>> seen = brokerSerials();
            for (String identity : List.of("sl-writer", "sl-reader")) {
                assertThat(seen.getOrDefault(identity, Set.of())).as("serials the broker saw for " + identity)
                        .hasSizeGreaterThanOrEqualTo(RENEWALS + 1)
                        .isSubsetOf(issued.get(identity));
            }
            assertThat(String.join("\n", CapturedLogs.lines())).doesNotContain("EXPIRED_CERTIFICATE_DENIED");

            // No key reached the disk: nothing written since the start is a key store or holds a private key.
            assertThat(keyFilesWrittenSince(started, dir, kafka.directory(), Path.of("").toAbsolutePath())).isEmpty();
            assertThat(writer).doesNotContainKeys("ssl.keystore.location", "ssl.keystore.key", "ssl.key.password");
        }
    }

    /** Settings of a client whose TLS identity (for the brokers and the key service) comes from the trust service alone. */
    private static Map<String, Object> client(IdentityFixture fixture, TrustService service, String identity) {
        String token = fixture.token(service, identity, 600);
        Map<String, Object> settings = new HashMap<>(fixture.workload(service, identity, fixture.tokenFile(identity, token), LIFETIME));
        settings.put(KmsConfig.TYPE_CONFIG, "remote");
        settings.put(RemoteKmsProvider.URLS_CONFIG, TrustFixture.urls(service));
        return settings;
    }

    /** Whether the broker has seen the first and {@link #RENEWALS} renewed certificates of both clients. */
    private static boolean brokerSawRenewedCertificates() {
        Map<String, Set<String>> seen = brokerSerials();
        return Stream.of("sl-writer", "sl-reader").allMatch(identity -> seen.getOrDefault(identity, Set.of()).size() > RENEWALS);
    }

    /** Per principal name, the client certificate serials the broker's principal builder saw on new connections. */
    private static Map<String, Set<String>> brokerSerials() {
        Map<String, Set<String>> serials = new HashMap<>();
        for (String line : CapturedLogs.lines()) {
            if (!line.startsWith("io.ciphertrail.broker.connections ")) {
                continue;
            }
            Matcher connected = CONNECTED.matcher(line);
            if (connected.find()) {
                serials.computeIfAbsent(connected.group(1), name -> new LinkedHashSet<>()).add(connected.group(2));
            }
        }
        return serials;
    }

    /** Files under the roots modified since {@code since} that are key stores or hold a PEM private key. */
    private static List<Path> keyFilesWrittenSince(Instant since, Path... roots) {
        List<Path> found = new ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(Files::isRegularFile).filter(file -> modifiedSince(file, since)).filter(ShortLivedCertificatesTest::holdsAKey)
                        .forEach(found::add);
            } catch (IOException | UncheckedIOException e) {
                // a file that vanished while walking (a log segment rolled): not a key
            }
        }
        return found;
    }

    private static boolean modifiedSince(Path file, Instant since) {
        try {
            return Files.getLastModifiedTime(file).compareTo(FileTime.from(since)) >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean holdsAKey(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".p12") || name.endsWith(".jks") || name.endsWith(".pfx") || name.endsWith(".key")) {
            return true;
        }
        try {
            return Files.size(file) < 10_000_000 && new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains("PRIVATE KEY");
        } catch (IOException e) {
            return false;
        }
    }
}
