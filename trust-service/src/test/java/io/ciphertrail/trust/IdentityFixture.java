package io.ciphertrail.trust;

import io.ciphertrail.core.identity.IdentityApi;
import io.ciphertrail.core.identity.IdentityConfig;
import io.ciphertrail.core.identity.TrustServiceClient;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.Pem;
import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.config.SslConfigs;
import org.awaitility.Awaitility;

/**
 * A trust service with its workload CA against a real broker, for tests: the CA is the broker's own (so the brokers
 * trust what it issues), the ledger topic is the test's own, and workloads get settings with no key store at all.
 */
final class IdentityFixture {
    static final String ADMIN = "ciphertrail-admin";

    private final TrustFixture trust;
    private final Path dir;
    private final Path caDirectory;
    private final Path caPem;
    private final String bootstrapServers;
    private final String ledgerTopic = "identities-" + UUID.randomUUID();
    private final String auditTopic = "audit-" + UUID.randomUUID();

    IdentityFixture(Path dir, EmbeddedSecureKafka kafka) {
        this.dir = dir;
        CertificateAuthority ca = kafka.certificateAuthority();
        this.trust = new TrustFixture(dir, ca);
        this.caDirectory = dir.resolve("ca");
        ca.save(caDirectory);
        this.caPem = caDirectory.resolve(CertificateAuthority.CERTIFICATE_FILE);
        this.bootstrapServers = kafka.bootstrapServers();
        // The audit topic exists, as on a platform: a flush then waits for acknowledgements, not for metadata that never comes.
        kafka.createTopics(1, auditTopic);
    }

    TrustFixture trust() {
        return trust;
    }

    String ledgerTopic() {
        return ledgerTopic;
    }

    /** Settings of a trust service running the CA from the CA directory, with free ports and a short audit window. */
    Map<String, Object> serviceSettings(Object... overrides) {
        trust.writePolicy("rules:\n  - {name: admin, principals: [User:ciphertrail-admin], keys: [\"*\"], operations: [ADMIN]}\n");
        Map<String, Object> settings = trust.serviceSettings(
                "bootstrap.servers", bootstrapServers,
                TrustServiceConfig.AUDIT_WINDOW_MS_CONFIG, 300L,
                TrustServiceConfig.AUDIT_TOPIC_CONFIG, auditTopic,
                TrustServiceConfig.CA_KEY_SOURCE_CONFIG, "FILE",
                TrustServiceConfig.CA_DIRECTORY_CONFIG, caDirectory.toString(),
                TrustServiceConfig.CA_LEDGER_TOPIC_CONFIG, ledgerTopic,
                TrustServiceConfig.BOOTSTRAP_PORT_CONFIG, 0);
        for (int i = 0; i < overrides.length; i += 2) {
            settings.put((String) overrides[i], overrides[i + 1]);
        }
        return settings;
    }

    /**
     * Starts a trust service with these settings and waits until its CA has read the ledger (before that, it refuses
     * every request as CA_UNAVAILABLE, which clients retry; the tests want the CA's decisions, not that).
     */
    TrustService start(Object... overrides) {
        TrustService service = TrustService.start(serviceSettings(overrides));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> service.ca().orElseThrow().ledger().ready());
        return service;
    }

    /** The administrator's client of the CA API (its certificate from a key store file, as an operator's would be). */
    TrustServiceClient admin(TrustService service) {
        return holder(ADMIN, service);
    }

    /** A client of the CA API authenticated by a key store certificate for {@code identity}. */
    TrustServiceClient holder(String identity, TrustService service) {
        Map<String, Object> settings = new HashMap<>(trust.identity(identity).kafkaSslProperties());
        settings.put(IdentityConfig.URLS_CONFIG, "https://localhost:" + service.port());
        return TrustServiceClient.of(settings);
    }

    /** A client of the bootstrap listener: server-authenticated only, as a workload without a certificate. */
    TrustServiceClient anonymous(TrustService service) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        settings.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, caPem.toString());
        return new TrustServiceClient(List.of(URI.create("https://localhost:" + service.bootstrapPort())),
                ReloadingSslEngineFactory.fromSettings(settings, false), Duration.ofSeconds(5), Duration.ofSeconds(15));
    }

    String token(TrustService service, String identity, long ttlSeconds) {
        return admin(service).post(IdentityApi.TOKENS, new IdentityApi.TokenRequest(identity, ttlSeconds, null, null, null),
                IdentityApi.TokenResponse.class).token();
    }

    String serverToken(TrustService service, String identity, List<String> dns, List<String> ips) {
        return admin(service).post(IdentityApi.TOKENS, new IdentityApi.TokenRequest(identity, 600L, true, dns, ips),
                IdentityApi.TokenResponse.class).token();
    }

    /** An owner-only file holding {@code token}, as an orchestrator would mount it. */
    Path tokenFile(String name, String token) {
        Path file = dir.resolve("tokens").resolve(name);
        SecureFiles.writeOwnerOnly(file, (token + "\n").getBytes(StandardCharsets.UTF_8));
        return file;
    }

    /**
     * Client settings of a workload that takes its identity from the trust service: no key store, no password, only
     * the CA to check the servers against, its name, the service's URLs and the file its one-time token is in.
     */
    Map<String, Object> workload(TrustService service, String identity, Path tokenFile, Duration lifetime) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrapServers);
        settings.put("security.protocol", "SSL");
        settings.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        settings.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, caPem.toString());
        settings.put(IdentityConfig.NAME_CONFIG, identity);
        settings.put(IdentityConfig.URLS_CONFIG, "https://localhost:" + service.port());
        settings.put(IdentityConfig.BOOTSTRAP_URLS_CONFIG, "https://localhost:" + service.bootstrapPort());
        settings.put(IdentityConfig.BOOTSTRAP_TOKEN_FILE_CONFIG, tokenFile.toString());
        settings.put(IdentityConfig.LIFETIME_MS_CONFIG, lifetime.toMillis());
        settings.put(IdentityConfig.RETRY_BACKOFF_MS_CONFIG, 200L);
        settings.put(IdentityConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 2_000L);
        return settings;
    }

    static String pem(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path caPem() {
        return caPem;
    }

    static List<java.security.cert.X509Certificate> certificates(String pem) {
        return Pem.decodeCertificates(pem, "test");
    }
}
