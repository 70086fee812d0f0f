package io.ciphertrail.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.core.identity.WorkloadIdentity;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.SslConfigs;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust service's own identity without a key store: the CA it hosts issues its server certificate in process,
 * short-lived, and renews it at half life. The HTTPS listeners present each new certificate on new connections while a
 * client keeps calling, and its Kafka clients (the CA's ledger, the audit trail) reconnect with it too.
 */
@WithSecureKafka(authorizer = "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer", brokerProperties = {
        "principal.builder.class=io.ciphertrail.broker.authorizer.CertificatePrincipalBuilder",
        "allow.everyone.if.no.acl.found=true"})
class ServiceIdentityTest {
    /** What the service logs for each certificate its CA issues to itself. */
    private static final Pattern ISSUED = Pattern.compile("Issued the trust service's own certificate for key-service \\(serial (\\p{XDigit}+),");
    private static final Pattern CONNECTED = Pattern.compile("^io\\.ciphertrail\\.broker\\.connections User:key-service connected from .* with certificate serial (\\p{XDigit}+) ");

    @TempDir
    Path dir;

    @Test
    void theServerCertificateIsIssuedInProcessAndRenewedWhileAClientKeepsCalling(EmbeddedSecureKafka kafka) throws Exception {
        // Other tests of this JVM connect as User:key-service with key store certificates: only this test's lines count.
        int firstLine = CapturedLogs.lines().size();
        IdentityFixture fixture = new IdentityFixture(dir, kafka);
        Map<String, Object> settings = fixture.serviceSettings(TrustServiceConfig.IDENTITY_LIFETIME_MS_CONFIG, 10_000L);
        for (String key : List.of(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG,
                SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, SslConfigs.SSL_KEY_PASSWORD_CONFIG)) {
            settings.remove(key);
        }
        try (TrustService service = TrustService.start(settings)) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> service.ca().orElseThrow().ledger().ready());
            WorkloadIdentity own = service.ownIdentity().orElseThrow();
            assertThat(own.current().orElseThrow().certificate().getSubjectX500Principal().getName()).startsWith("CN=key-service");

            // A client keeps calling the key service (the administrator's key store), and new connections to the bootstrap
            // listener (which asks for no client certificate) show which certificate the service presents now.
            Set<String> presented = new LinkedHashSet<>();
            List<Throwable> failures = new ArrayList<>();
            SSLContext trustingTheCa = trusting(kafka.certificateAuthority().certificate());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            try (KmsAdmin admin = KmsConfig.admin(fixture.trust().clientSettings(IdentityFixture.ADMIN, service))) {
                while (presented.size() < 3 && System.nanoTime() < deadline) {
                    try {
                        admin.list();
                        presented.add(serialPresentedAt(trustingTheCa, service.bootstrapPort()));
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                    Thread.sleep(200);
                }
            }
            assertThat(failures).as("calls that failed").isEmpty();
            Set<String> issued = serials(ISSUED, firstLine);
            assertThat(presented).as("serials the listeners presented").hasSizeGreaterThanOrEqualTo(3).isSubsetOf(issued);
            assertThat(own.renewals()).isGreaterThanOrEqualTo(2);
            assertThat(own.renewalFailures()).isZero();

            // The CA still reaches its ledger with the renewed certificate: a token is made and recorded.
            Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> !fixture.token(service, "after-renewals", 60).isBlank());
            issued = serials(ISSUED, firstLine);
            assertThat(serials(CONNECTED, firstLine)).as("serials the broker saw for User:key-service").hasSizeGreaterThanOrEqualTo(2).isSubsetOf(issued);
            List<String> lines = CapturedLogs.lines();
            assertThat(String.join("\n", lines.subList(firstLine, lines.size()))).doesNotContain("EXPIRED_CERTIFICATE_DENIED");
        }
    }

    /** The serials (hex) the first group of {@code pattern} finds in the log from line {@code from} on. */
    private static Set<String> serials(Pattern pattern, int from) {
        Set<String> serials = new LinkedHashSet<>();
        List<String> lines = CapturedLogs.lines();
        for (String line : lines.subList(from, lines.size())) {
            Matcher found = pattern.matcher(line);
            if (found.find()) {
                serials.add(found.group(1));
            }
        }
        return serials;
    }

    /** Opens a new TLS connection to the port and answers the serial (hex) of the certificate the server presented. */
    private static String serialPresentedAt(SSLContext context, int port) throws Exception {
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", port)) {
            socket.startHandshake();
            BigInteger serial = ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
            return serial.toString(16);
        }
    }

    private static SSLContext trusting(X509Certificate ca) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
