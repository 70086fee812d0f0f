package io.ciphertrail.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ciphertrail.core.identity.IdentityApi;
import io.ciphertrail.core.identity.IdentityApi.CertificateRequest;
import io.ciphertrail.core.identity.IdentityApi.CertificateResponse;
import io.ciphertrail.core.identity.IdentityError;
import io.ciphertrail.core.identity.IdentityException;
import io.ciphertrail.core.identity.TrustServiceClient;
import io.ciphertrail.core.kms.KmsAccessDeniedException;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.KmsFixture;
import io.ciphertrail.core.kms.pkcs11.Pkcs11KmsProvider;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateInfo;
import io.ciphertrail.core.pki.CertificateSigningRequest;
import io.ciphertrail.core.pki.ChainValidator;
import io.ciphertrail.core.pki.KeyAlgorithm;
import io.ciphertrail.core.pki.Pkcs11Token;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.WithSecureKafka;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.security.auth.x500.X500Principal;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workload CA against a real broker and ledger topic: a first certificate takes a one-time token and is a
 * short-lived client certificate with its SPIFFE ID; every way of asking wrongly is refused with its own reason and
 * audited; a token is used once however many instances are asked at once; a writer of the ledger topic cannot mint a
 * token; and the CA key may live in a PKCS#11 token.
 */
@WithSecureKafka
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkloadCaTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    IdentityFixture fixture;
    TrustService service;

    @BeforeAll
    void start(EmbeddedSecureKafka kafka) {
        fixture = new IdentityFixture(dir, kafka);
        service = fixture.start();
    }

    @AfterAll
    void stop() {
        service.close();
    }

    @Test
    void aFirstCertificateTakesAOneTimeTokenAndIsAShortLivedClientCertificateWithItsSpiffeId(EmbeddedSecureKafka kafka) throws Exception {
        String token = fixture.token(service, "orders-service", 600);
        KeyPair keys = KeyAlgorithm.EC_P256.generateKeyPair();

        CertificateResponse issued = bootstrap(token, CertificateSigningRequest.create(keys, "orders-service"));

        List<X509Certificate> chain = IdentityFixture.certificates(issued.chain());
        X509Certificate leaf = chain.get(0);
        CertificateInfo info = CertificateInfo.of(leaf);
        assertThat(info.subject()).isEqualTo("CN=orders-service,O=Ciphertrail");
        assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, "spiffe://ciphertrail.local/orders-service"));
        assertThat(issued.spiffeId()).isEqualTo("spiffe://ciphertrail.local/orders-service");
        assertThat(Duration.between(info.notBefore(), info.notAfter())).isEqualTo(Duration.ofHours(24));
        ChainValidator.validate(chain, kafka.caCertificate(), Instant.now());
        assertThat(IdentityFixture.certificates(issued.bundle())).containsExactly(kafka.caCertificate());

        IdentityException reused = refused(() -> bootstrap(token, CertificateSigningRequest.create(KeyAlgorithm.EC_P256.generateKeyPair(),
                "orders-service")), IdentityError.TOKEN_USED);
        assertThat(reused).hasMessageContaining("single use");

        service.flushAudit();
        assertThat(audit("CERTIFICATE_ISSUED", "orders-service")).anySatisfy(event -> {
            assertThat(event.get("serial").asText()).isEqualTo(info.serialHex());
            assertThat(event.get("operation").asText()).isEqualTo("BOOTSTRAP");
            assertThat(event.get("key").asText()).isEqualTo("EC P-256");
            assertThat(event.get("tokenId").asText()).hasSize(16);
        });
        assertThat(audit("CERTIFICATE_REFUSED", "orders-service")).anySatisfy(event ->
                assertThat(event.get("result").asText()).isEqualTo("TOKEN_USED"));
        assertThat(String.join("\n", CapturedLogs.lines())).doesNotContain(token);
    }

    @Test
    void everyWrongRequestIsRefusedWithItsReasonAndAudited() throws Exception {
        String identity = "billing-" + UUID.randomUUID().toString().substring(0, 6);

        // A token past its time to live.
        String shortLived = fixture.token(service, identity, 1);
        Thread.sleep(1_300);
        refused(() -> bootstrap(shortLived, csr(identity)), IdentityError.TOKEN_EXPIRED);
        refused(() -> bootstrap("ctbt_never-issued", csr(identity)), IdentityError.TOKEN_UNKNOWN);

        // A token for this identity presented for another, an RSA-1024 key and a curve the CA does not know: none spends the token.
        String token = fixture.token(service, identity, 600);
        assertThat(refused(() -> bootstrap(token, csr("payments")), IdentityError.WRONG_IDENTITY))
                .hasMessageContaining("is for identity " + identity).hasMessageContaining("asks for payments");
        assertThat(refused(() -> bootstrap(token, CertificateSigningRequest.create(rsa(1024), identity)), IdentityError.WEAK_KEY))
                .hasMessageContaining("1024-bit RSA key").hasMessageContaining("at least 2048");
        assertThat(refused(() -> bootstrap(token, secp256k1Csr(identity)), IdentityError.UNSUPPORTED_KEY))
                .hasMessageContaining("curve 1.3.132.0.10").hasMessageContaining("P-256");
        CertificateResponse first = bootstrap(token, csr(identity));
        assertThat(first.identity()).isEqualTo(identity);

        // Renewals: only for the caller's own identity and names.
        TrustServiceClient holder = fixture.holder("orders-service", service);
        assertThat(refused(() -> holder.post(IdentityApi.RENEW, new CertificateRequest(csr("payments").toPem(), null, null), CertificateResponse.class),
                IdentityError.WRONG_IDENTITY)).hasMessageContaining("User:orders-service may renew only its own identity");
        assertThat(refused(() -> holder.post(IdentityApi.RENEW, new CertificateRequest(CertificateSigningRequest.create(
                        KeyAlgorithm.EC_P256.generateKeyPair(), new X500Principal("CN=orders-service,O=Ciphertrail"), List.of("kafka-1"),
                        List.of(), List.of()).toPem(), null, null), CertificateResponse.class), IdentityError.WRONG_IDENTITY))
                .hasMessageContaining("DNS:kafka-1").hasMessageContaining("current certificate does not grant");
        assertThat(holder.post(IdentityApi.RENEW, new CertificateRequest(csr("orders-service").toPem(), 60L, null), CertificateResponse.class)
                .identity()).isEqualTo("orders-service");

        // Only administrators make tokens.
        refused(() -> holder.post(IdentityApi.TOKENS, new IdentityApi.TokenRequest("orders-service", 60L, null, null, null),
                IdentityApi.TokenResponse.class), IdentityError.NOT_ALLOWED);

        service.flushAudit();
        for (String result : List.of("TOKEN_EXPIRED", "TOKEN_UNKNOWN", "WRONG_IDENTITY", "WEAK_KEY", "UNSUPPORTED_KEY")) {
            assertThat(audit("CERTIFICATE_REFUSED", null)).as(result).anySatisfy(event -> {
                assertThat(event.get("result").asText()).isEqualTo(result);
                assertThat(event.get("decision").asText()).isEqualTo("DENIED");
                assertThat(event.get("reason").asText()).isNotBlank();
            });
        }
        assertThat(audit("CERTIFICATE_REFUSED", "orders-service")).anySatisfy(event -> {
            assertThat(event.get("operation").asText()).isEqualTo("RENEW");
            assertThat(event.get("principal").asText()).isEqualTo("User:orders-service");
        });
        assertThat(audit("CERTIFICATE_REFUSED", null)).anySatisfy(event -> {
            assertThat(event.get("result").asText()).isEqualTo("WEAK_KEY");
            assertThat(event.get("key").asText()).isEqualTo("RSA 1024");
        });
    }

    @Test
    void aBarredIdentityGetsNoCertificateAndNoKeyUntilTheBarIsLifted() {
        TrustServiceClient admin = fixture.admin(service);
        TrustServiceClient holder = fixture.holder("inventory", service);
        try (KmsAdmin keys = KmsConfig.admin(fixture.trust().clientSettings(IdentityFixture.ADMIN, service))) {
            keys.create("ciphertrail/topic/inventory-" + UUID.randomUUID());
        }
        admin.post(IdentityApi.BAR, new IdentityApi.BarRequest("inventory", "laptop stolen, ticket SEC-42"), IdentityApi.BarredIdentity.class);

        assertThat(refused(() -> holder.post(IdentityApi.RENEW, new CertificateRequest(csr("inventory").toPem(), null, null),
                CertificateResponse.class), IdentityError.IDENTITY_BARRED)).hasMessageContaining("laptop stolen, ticket SEC-42");
        refused(() -> fixture.token(service, "inventory", 60), IdentityError.IDENTITY_BARRED);
        try (KmsAdmin asInventory = KmsConfig.admin(fixture.trust().clientSettings("inventory", service))) {
            assertThat(catchThrowableOfType(KmsAccessDeniedException.class, asInventory::list)).hasMessageContaining("barred");
        }
        assertThat(admin.get(IdentityApi.BARRED, IdentityApi.BarredList.class).barred())
                .anySatisfy(bar -> assertThat(bar.identity()).isEqualTo("inventory"));

        admin.post(IdentityApi.UNBAR, new IdentityApi.BarRequest("inventory", "laptop found"), IdentityApi.BarredIdentity.class);
        assertThat(holder.post(IdentityApi.RENEW, new CertificateRequest(csr("inventory").toPem(), null, null), CertificateResponse.class)
                .identity()).isEqualTo("inventory");

        service.flushAudit();
        assertThat(audit("IDENTITY_BARRED", "inventory")).singleElement().satisfies(event -> {
            assertThat(event.get("principal").asText()).isEqualTo("User:ciphertrail-admin");
            assertThat(event.get("reason").asText()).isEqualTo("laptop stolen, ticket SEC-42");
        });
        assertThat(audit("CERTIFICATE_REFUSED", "inventory")).anySatisfy(event ->
                assertThat(event.get("result").asText()).isEqualTo("IDENTITY_BARRED"));
        assertThat(audit("IDENTITY_UNBARRED", "inventory")).hasSize(1);
    }

    @Test
    void aTokenIsUsedOnceHoweverManyInstancesAreAskedAtOnce() throws Exception {
        try (TrustService second = fixture.start()) {
            String token = fixture.token(service, "reporting", 600);
            List<TrustServiceClient> clients = List.of(fixture.anonymous(service), fixture.anonymous(second));
            ExecutorService threads = Executors.newFixedThreadPool(8);
            try {
                List<Future<IdentityError>> outcomes = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    TrustServiceClient client = clients.get(i % 2);
                    outcomes.add(threads.submit(() -> {
                        try {
                            client.post(IdentityApi.BOOTSTRAP, new CertificateRequest(csr("reporting").toPem(), null, token), CertificateResponse.class);
                            return null;
                        } catch (IdentityException e) {
                            return e.error();
                        }
                    }));
                }
                List<IdentityError> results = new ArrayList<>();
                for (Future<IdentityError> outcome : outcomes) {
                    results.add(outcome.get());
                }
                assertThat(results).filteredOn(result -> result == null).as("certificates issued").hasSize(1);
                assertThat(results).filteredOn(result -> result != null).hasSize(7).containsOnly(IdentityError.TOKEN_USED);
            } finally {
                threads.shutdownNow();
            }
        }
    }

    @Test
    void aWriterOfTheLedgerTopicCannotMintAToken(EmbeddedSecureKafka kafka) throws Exception {
        String token = "ctbt_forged-" + UUID.randomUUID();
        String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        String grant = "{\"hash\":\"" + hash + "\",\"identity\":\"intruder\",\"server\":false,\"expiresAt\":" + (System.currentTimeMillis() + 600_000)
                + ",\"issuedBy\":\"User:ciphertrail-admin\",\"issuedAt\":0}";
        CertificateAuthority other = CertificateAuthority.create("Forger CA");
        String record = JSON.writeValueAsString(Map.of("kind", "TOKEN", "payload", grant,
                "signer", java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(other.certificate().getEncoded())),
                "signature", Base64.getEncoder().encodeToString(other.signData(grant.getBytes(java.nio.charset.StandardCharsets.UTF_8)))));
        long rejectedBefore = service.ca().orElseThrow().ledger().rejected();
        try (KafkaProducer<String, String> writer = new KafkaProducer<>(kafka.clientProperties("ledger-writer"), new StringSerializer(), new StringSerializer())) {
            writer.send(new ProducerRecord<>(fixture.ledgerTopic(), 0, "token/" + hash, record)).get();
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                .until(() -> service.ca().orElseThrow().ledger().rejected() > rejectedBefore);

        refused(() -> bootstrap(token, csr("intruder")), IdentityError.TOKEN_UNKNOWN);
    }

    @Test
    void theCaKeyMayLiveInAPkcs11TokenAndNeverLeaveIt(EmbeddedSecureKafka kafka) {
        Map<String, Object> token = KmsFixture.pkcs11();
        String label = "ca-" + UUID.randomUUID();
        char[] pin = io.ciphertrail.core.kms.SecretSource.read(Pkcs11KmsProvider.PIN_FILE_CONFIG,
                (String) token.get(Pkcs11KmsProvider.PIN_FILE_CONFIG), Pkcs11KmsProvider.PIN_ENV_CONFIG, "UNSET");
        CertificateAuthority inToken;
        try (Pkcs11Token hsm = Pkcs11Token.open((String) token.get(Pkcs11KmsProvider.LIBRARY_CONFIG), 0, pin, "test")) {
            inToken = CertificateAuthority.createInToken(hsm, label, "Token CA", Duration.ofDays(30));
        }
        IdentityFixture tokenFixture = new IdentityFixture(dir.resolve("hsm"), kafka);
        Path bundle = dir.resolve("hsm-bundle.pem");
        io.ciphertrail.core.pki.Pem.writeCertificates(bundle, List.of(inToken.certificate()));
        try (TrustService hsmService = tokenFixture.start(
                TrustServiceConfig.CA_KEY_SOURCE_CONFIG, "PKCS11",
                TrustServiceConfig.CA_PKCS11_LIBRARY_CONFIG, token.get(Pkcs11KmsProvider.LIBRARY_CONFIG),
                TrustServiceConfig.CA_PKCS11_PIN_FILE_CONFIG, token.get(Pkcs11KmsProvider.PIN_FILE_CONFIG),
                TrustServiceConfig.CA_PKCS11_KEY_LABEL_CONFIG, label,
                TrustServiceConfig.CA_BUNDLE_FILE_CONFIG, bundle.toString())) {
            // The token is recorded in the ledger signed by the key in the token, and verified by every instance.
            String oneTime = tokenFixture.token(hsmService, "hsm-workload", 600);
            CertificateResponse issued = tokenFixture.anonymous(hsmService).post(IdentityApi.BOOTSTRAP,
                    new CertificateRequest(csr("hsm-workload").toPem(), null, oneTime), CertificateResponse.class);
            List<X509Certificate> chain = IdentityFixture.certificates(issued.chain());
            ChainValidator.validate(chain, inToken.certificate(), Instant.now());
            assertThat(chain.get(0).getIssuerX500Principal().getName()).isEqualTo("CN=Token CA,O=Ciphertrail");
        }
        try (Pkcs11Token hsm = Pkcs11Token.open((String) token.get(Pkcs11KmsProvider.LIBRARY_CONFIG), 0, pin, "test")) {
            assertThat(CertificateAuthority.inToken(hsm, label).toString()).contains("key in a PKCS#11 token");
            assertThat(hsm.keyExtractable(label)).as("the key can be read out of the token").isFalse();
        }
    }

    private CertificateResponse bootstrap(String token, CertificateSigningRequest csr) {
        return fixture.anonymous(service).post(IdentityApi.BOOTSTRAP, new CertificateRequest(csr.toPem(), null, token), CertificateResponse.class);
    }

    private static CertificateSigningRequest csr(String identity) {
        return CertificateSigningRequest.create(KeyAlgorithm.EC_P256.generateKeyPair(), identity);
    }

    private static KeyPair rsa(int bits) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(bits);
        return generator.generateKeyPair();
    }

    /** A request on secp256k1, which the JDK no longer offers: made with BouncyCastle, as another client's tools would. */
    private static CertificateSigningRequest secp256k1Csr(String identity) throws Exception {
        BouncyCastleProvider bc = new BouncyCastleProvider();
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", bc);
        generator.initialize(new ECGenParameterSpec("secp256k1"));
        KeyPair keys = generator.generateKeyPair();
        var request = new JcaPKCS10CertificationRequestBuilder(new X500Principal("CN=" + identity + ",O=Ciphertrail"), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(bc).build(keys.getPrivate()));
        java.io.StringWriter pem = new java.io.StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(request);
        }
        return CertificateSigningRequest.parse(pem.toString(), "test");
    }

    private static IdentityException refused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, IdentityError expected) {
        IdentityException refusal = catchThrowableOfType(IdentityException.class, call);
        assertThat(refusal).as("refused as " + expected).isNotNull();
        assertThat(refusal.error()).as(refusal.getMessage()).isEqualTo(expected);
        assertThat(refusal.getMessage()).startsWith(expected.name());
        return refusal;
    }

    /** This test JVM's identity audit events of a type, about an identity containing {@code about} (any when null). */
    private static List<JsonNode> audit(String eventType, String about) {
        List<JsonNode> events = new ArrayList<>();
        for (String line : CapturedLogs.auditLines()) {
            try {
                JsonNode event = JSON.readTree(line);
                if (event.path("eventType").asText().equals(eventType)
                        && (about == null || event.path("identity").asText().contains(about))) {
                    events.add(event);
                }
            } catch (java.io.IOException e) {
                // not JSON: not an audit event
            }
        }
        return events;
    }
}
