package io.ciphertrail.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.TlsFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import io.ciphertrail.core.pki.KeyStores;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who cannot even talk to the key service: the TLS layer refuses them before any key operation or audit. */
class MutualTlsTest {
    @TempDir
    static Path dir;
    static TrustFixture fixture;
    static TrustService service;

    @BeforeAll
    static void start() {
        fixture = new TrustFixture(dir);
        fixture.writePolicy("rules:\n  - {name: all, principals: [\"*\"], keys: [\"*\"], operations: [ENCRYPT, DECRYPT, DERIVE, ADMIN]}\n");
        service = fixture.start();
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static HttpResponse<String> whoami(HttpClient client) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + service.port() + "/v1/whoami"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRefusedAtTheTlsLayer(HttpClient client) {
        assertThatThrownBy(() -> whoami(client)).isInstanceOf(IOException.class);
    }

    @Test
    void aCertificateFromTheDeploymentsCaIsAccepted() throws Exception {
        assertThat(whoami(TlsClients.client(fixture.identity("orders-service"))).body()).contains("User:orders-service");
    }

    @Test
    void aCertificateFromAnotherCaIsRefused(@TempDir Path other) {
        CertificateAuthority intruders = CertificateAuthority.create("Intruder CA");
        TlsFiles intruder = TlsFiles.write(other, intruders.issueWorkload("orders-service"), List.of(intruders.certificate()));
        assertRefusedAtTheTlsLayer(TlsClients.client(intruder, fixture.server(), null));
    }

    @Test
    void anExpiredCertificateIsRefused(@TempDir Path other) {
        TlsFiles expired = TlsFiles.write(other, fixture.ca().issue(CertificateSpec.workload("orders-service")
                .notBefore(Instant.now().minus(Duration.ofDays(3))).validity(Duration.ofDays(1))), List.of(fixture.ca().certificate()));
        assertRefusedAtTheTlsLayer(TlsClients.client(expired, fixture.server(), null));
    }

    @Test
    void aClientWithoutACertificateIsRefused() {
        assertRefusedAtTheTlsLayer(TlsClients.client(null, fixture.server(), null));
    }

    @Test
    void suitesWithoutForwardSecrecyOrAuthenticatedEncryptionAreRefused() {
        for (String suite : List.of("TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256")) {
            SSLParameters parameters = new SSLParameters(new String[] {suite}, new String[] {"TLSv1.2"});
            assertRefusedAtTheTlsLayer(TlsClients.client(fixture.identity("orders-service"), fixture.identity("orders-service"), parameters));
        }
    }

    @Test
    void theApiIsNotReachableOverPlainHttpButHealthAndMetricsAreOnTheManagementPort() throws Exception {
        HttpClient plain = HttpClient.newHttpClient();
        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://localhost:" + service.port() + "/v1/whoami"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
        HttpResponse<String> keysOnManagement = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.managementPort()
                + "/v1/keys/list")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(keysOnManagement.statusCode()).isEqualTo(404);
        HttpResponse<String> health = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.managementPort()
                + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.body()).contains("\"status\":\"UP\"");
    }

    @Test
    void aRenewedServerCertificateIsServedWithoutARestart() {
        TlsFiles server = fixture.server();
        char[] password = server.kafkaSslProperties().get("ssl.keystore.password").toString().toCharArray();
        KeyStores.writeKeyStore(server.keyStore(), fixture.ca().issue(CertificateSpec.broker("key-service-renewed")
                .dnsNames("localhost").ipAddresses("127.0.0.1")), password);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            SSLSession session = whoami(TlsClients.client(fixture.identity("orders-service"))).sslSession().orElseThrow();
            assertThat(((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName())
                    .contains("CN=key-service-renewed");
        });
    }
}
