package io.ciphertrail.cli;

import io.ciphertrail.core.identity.IdentityApi;
import io.ciphertrail.core.identity.IdentityConfig;
import io.ciphertrail.core.identity.IdentityMaterial;
import io.ciphertrail.core.identity.TrustServiceClient;
import io.ciphertrail.core.identity.WorkloadIdentities;
import io.ciphertrail.core.identity.WorkloadIdentity;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.IssuedCertificate;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.trust.TrustService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.config.SslConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded broker's certificate from the trust service, renewed on the workloads' schedule: a one-time server
 * token for the broker's names, a key pair made in memory, a first certificate from the bootstrap listener, renewals at
 * half life over mutual TLS with the current one; each new certificate (and the CA bundle) is loaded by every TLS
 * listener through dynamic configuration, without a restart. What a deployment's brokers do with
 * {@code kafka-configs --alter}, done in process.
 */
final class BrokerIdentity implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerIdentity.class);

    private final EmbeddedSecureKafka kafka;
    private final WorkloadIdentity identity;
    private final Consumer<IdentityMaterial> listener = this::present;

    private BrokerIdentity(EmbeddedSecureKafka kafka, WorkloadIdentity identity) {
        this.kafka = kafka;
        this.identity = identity;
    }

    /**
     * Obtains the broker's first certificate from {@code trust} (a token the administrator's settings create) and
     * starts renewing it; the broker presents it from now on.
     */
    static BrokerIdentity start(EmbeddedSecureKafka kafka, TrustService trust, Map<String, Object> adminSettings, Home home,
                                Duration lifetime) {
        awaitLedger(trust);
        String url = "https://" + EmbeddedSecureKafka.CLIENT_HOST + ":" + trust.port();
        CertificateSpec names = kafka.brokerCertificate();
        Map<String, Object> admin = new HashMap<>(adminSettings);
        admin.put(IdentityConfig.URLS_CONFIG, url);
        String token = TrustServiceClient.of(admin).post(IdentityApi.TOKENS, new IdentityApi.TokenRequest(EmbeddedSecureKafka.BROKER_IDENTITY,
                600L, true, names.dnsNames(), names.ipAddresses()), IdentityApi.TokenResponse.class).token();
        Path tokenFile = home.kafka().resolve("bootstrap-token");
        SecureFiles.writeOwnerOnly(tokenFile, token.getBytes(StandardCharsets.US_ASCII));
        Map<String, Object> settings = new HashMap<>();
        settings.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        settings.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, home.ca().resolve(CertificateAuthority.CERTIFICATE_FILE).toString());
        settings.put(IdentityConfig.NAME_CONFIG, EmbeddedSecureKafka.BROKER_IDENTITY);
        settings.put(IdentityConfig.URLS_CONFIG, url);
        settings.put(IdentityConfig.BOOTSTRAP_URLS_CONFIG, "https://" + EmbeddedSecureKafka.CLIENT_HOST + ":" + trust.bootstrapPort());
        settings.put(IdentityConfig.BOOTSTRAP_TOKEN_FILE_CONFIG, tokenFile.toString());
        settings.put(IdentityConfig.LIFETIME_MS_CONFIG, lifetime.toMillis());
        WorkloadIdentity identity;
        try {
            identity = WorkloadIdentities.acquire(settings);
        } finally {
            delete(tokenFile);
        }
        BrokerIdentity broker = new BrokerIdentity(kafka, identity);
        identity.current().ifPresent(broker::present);
        identity.addListener(broker.listener);
        return broker;
    }

    /** Renews now, whatever the schedule says (the demo shows one renewal); the broker presents the new certificate on return. */
    IdentityMaterial renewNow() {
        return identity.renewNow();
    }

    WorkloadIdentity identity() {
        return identity;
    }

    private void present(IdentityMaterial material) {
        kafka.renewCertificate(new IssuedCertificate(material.privateKey(), material.chain()), identity.trusted());
        LOG.info("The broker presents certificate serial {} from the trust service, valid until {}", material.serialHex(), material.notAfter());
    }

    /** The CA decides once it has read its ledger of tokens and bars (a moment after start). */
    private static void awaitLedger(TrustService trust) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!trust.ca().orElseThrow().ledger().ready()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The trust service's CA did not read its ledger topic within 60 s: "
                        + trust.ca().orElseThrow().ledger().problem());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the trust service's CA", e);
            }
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete the used bootstrap token " + file, e);
        }
    }

    @Override
    public void close() {
        identity.removeListener(listener);
        WorkloadIdentities.release(identity);
    }
}
