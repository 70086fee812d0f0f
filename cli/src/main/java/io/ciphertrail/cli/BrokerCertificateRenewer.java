package io.ciphertrail.cli;

import io.ciphertrail.core.identity.IdentityApi;
import io.ciphertrail.core.identity.IdentityConfig;
import io.ciphertrail.core.identity.IdentityMaterial;
import io.ciphertrail.core.identity.WorkloadIdentities;
import io.ciphertrail.core.identity.WorkloadIdentity;
import io.ciphertrail.core.io.SecureFiles;
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
 * The embedded broker's own certificate from the workload CA on the trust service, on the schedule every workload
 * follows: a one-time server token for the broker's names, a key pair made in memory, the first certificate from the
 * bootstrap listener, then renewals at half life (with jitter) over mutual TLS with the current one. Each certificate is
 * written to the broker's stores, which its listeners load for new connections: no restart, open connections go on.
 */
final class BrokerCertificateRenewer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerCertificateRenewer.class);
    /** The server token only has to outlive the first request, made at once. */
    private static final long TOKEN_TTL_SECONDS = 600;

    private final EmbeddedSecureKafka kafka;
    private final WorkloadIdentity identity;
    private final Consumer<IdentityMaterial> listener = this::present;

    private BrokerCertificateRenewer(EmbeddedSecureKafka kafka, WorkloadIdentity identity) {
        this.kafka = kafka;
        this.identity = identity;
    }

    /**
     * Obtains the broker's first certificate from {@code trust}'s CA for the names on its current one, has the broker
     * present it, and renews it from now on.
     */
    static BrokerCertificateRenewer start(EmbeddedSecureKafka kafka, TrustService trust, Path caCertificate, Path tokenDirectory,
                                          String issuedBy, Duration lifetime) {
        CertificateSpec names = kafka.brokerCertificateSpec();
        String token = trust.ca().orElseThrow().createToken(issuedBy, new IdentityApi.TokenRequest(EmbeddedSecureKafka.BROKER_IDENTITY,
                TOKEN_TTL_SECONDS, true, names.dnsNames(), names.ipAddresses())).token();
        Path tokenFile = tokenDirectory.resolve("broker.token");
        SecureFiles.writeOwnerOnly(tokenFile, token.getBytes(StandardCharsets.US_ASCII));
        Map<String, Object> settings = new HashMap<>();
        settings.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        settings.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, caCertificate.toString());
        settings.put(IdentityConfig.NAME_CONFIG, EmbeddedSecureKafka.BROKER_IDENTITY);
        settings.put(IdentityConfig.URLS_CONFIG, "https://" + EmbeddedSecureKafka.CLIENT_HOST + ":" + trust.port());
        settings.put(IdentityConfig.BOOTSTRAP_URLS_CONFIG, "https://" + EmbeddedSecureKafka.CLIENT_HOST + ":" + trust.bootstrapPort());
        settings.put(IdentityConfig.BOOTSTRAP_TOKEN_FILE_CONFIG, tokenFile.toString());
        settings.put(IdentityConfig.LIFETIME_MS_CONFIG, lifetime.toMillis());
        WorkloadIdentity identity;
        try {
            identity = WorkloadIdentities.acquire(settings);
        } finally {
            delete(tokenFile);
        }
        BrokerCertificateRenewer renewer = new BrokerCertificateRenewer(kafka, identity);
        renewer.present(identity.requireValid());
        identity.addListener(renewer.listener);
        return renewer;
    }

    /** The certificate the broker presents now. */
    IdentityMaterial current() {
        return identity.requireValid();
    }

    /** Renewals since start. */
    long renewals() {
        return identity.renewals();
    }

    /** The lifetime of the broker's certificates, as the CA issued the current one. */
    Duration lifetime() {
        IdentityMaterial current = current();
        return Duration.between(current.certificate().getNotBefore().toInstant(), current.notAfter());
    }

    private void present(IdentityMaterial material) {
        kafka.renewCertificate(new IssuedCertificate(material.privateKey(), material.chain()), identity.trusted());
        LOG.info("The broker presents certificate serial {} from the workload CA, valid until {}; renewed at about half life",
                material.serialHex(), material.notAfter());
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete the used bootstrap token " + file, e);
        }
    }

    /** Stops renewing; the broker keeps presenting the current certificate until it stops. */
    @Override
    public void close() {
        identity.removeListener(listener);
        WorkloadIdentities.release(identity);
    }
}
