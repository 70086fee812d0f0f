package io.ciphertrail.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.GeneratedDek;
import io.ciphertrail.core.kms.KekInfo;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAccessDeniedException;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.KmsUnavailableException;
import io.ciphertrail.core.kms.UnknownKeyException;
import io.ciphertrail.core.kms.KeyDestroyedException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key service on loopback with real mutual TLS: what each identity may do follows the key policy,
 * refusals keep their kind and say what to ask for, and the API's limits hold.
 */
class KeyServiceTest {
    static final String POLICY = """
            rules:
              - name: orders-writer
                principals: [User:orders-service]
                keys: ["ciphertrail/topic/orders*"]
                operations: [ENCRYPT, DERIVE]
              - name: orders-reader
                principals: [User:orders-reader]
                keys: [ciphertrail/topic/orders]
                operations: [DECRYPT]
              - name: key-admins
                principals: [User:key-admin]
                keys: ["*"]
                operations: [ADMIN]
            """;

    @TempDir
    static Path dir;
    static TrustFixture fixture;
    static TrustService service;
    static KmsAdmin admin;

    @BeforeAll
    static void start() {
        fixture = new TrustFixture(dir);
        fixture.writePolicy(POLICY);
        service = fixture.start(TrustServiceConfig.RATE_LIMIT_PER_SECOND_CONFIG, 1_000L);
        admin = KmsConfig.admin(fixture.clientSettings("key-admin", service));
        admin.create("ciphertrail/topic/orders");
        admin.create("ciphertrail/topic/payments");
    }

    @AfterAll
    static void stop() {
        admin.close();
        service.close();
    }

    static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().join();
        } catch (CompletionException e) {
            throw (RuntimeException) e.getCause();
        }
    }

    static Kms kms(String identity) {
        return KmsConfig.kms(fixture.clientSettings(identity, service));
    }

    @Test
    void aWriterGeneratesAReaderUnwrapsAndNeitherMayDoTheOthersPart() {
        try (Kms writer = kms("orders-service"); Kms reader = kms("orders-reader")) {
            KekRef kek = await(writer.resolveAlias("ciphertrail/topic/orders"));
            GeneratedDek generated = await(writer.generateDek(kek));
            Dek unwrapped = await(reader.unwrap(generated.edek()));
            assertThat(unwrapped.copyMaterial()).isEqualTo(generated.dek().copyMaterial());

            Throwable readerWrites = catchThrowable(() -> await(reader.generateDek(kek)));
            assertThat(readerWrites).isInstanceOf(KmsAccessDeniedException.class).hasMessageContaining("User:orders-reader")
                    .hasMessageContaining("ask for ENCRYPT on ciphertrail/topic/orders in the key policy");
            Throwable writerReads = catchThrowable(() -> await(writer.unwrap(generated.edek())));
            assertThat(writerReads).isInstanceOf(KmsAccessDeniedException.class)
                    .hasMessageContaining("KMS_ACCESS_DENIED").hasMessageContaining("User:orders-service")
                    .hasMessageContaining("ask for DECRYPT on ciphertrail/topic/orders in the key policy");
        }
    }

    @Test
    void aReaderOfOneTopicCannotUnwrapAnotherTopicsKeys() {
        try (Kms adminKms = kms("key-admin"); Kms reader = kms("orders-reader")) {
            assertThatThrownBy(() -> await(adminKms.resolveAlias("ciphertrail/topic/payments")))
                    .isInstanceOf(KmsAccessDeniedException.class).hasMessageContaining("ask for ENCRYPT (or DERIVE) on ciphertrail/topic/payments");
            assertThatThrownBy(() -> await(reader.unwrap(new io.ciphertrail.core.kms.Edek(new KekRef("ciphertrail/topic/payments", 1), new byte[60]))))
                    .isInstanceOf(KmsAccessDeniedException.class).hasMessageContaining("ask for DECRYPT on ciphertrail/topic/payments");
        }
    }

    @Test
    void administratorsManageKeysButCannotUseThem() {
        KekRef rotated = admin.rotate("ciphertrail/topic/payments");
        assertThat(rotated).isEqualTo(new KekRef("ciphertrail/topic/payments", 2));
        assertThat(admin.list()).extracting(KekInfo::ref).contains(new KekRef("ciphertrail/topic/orders", 1), rotated);
        assertThatThrownBy(() -> admin.create("ciphertrail/topic/orders")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already exists");
        try (Kms adminKms = kms("key-admin"); KmsAdmin writerAdmin = KmsConfig.admin(fixture.clientSettings("orders-service", service))) {
            assertThatThrownBy(() -> await(adminKms.generateDek(rotated))).isInstanceOf(KmsAccessDeniedException.class);
            assertThatThrownBy(() -> writerAdmin.rotate("ciphertrail/topic/orders")).isInstanceOf(KmsAccessDeniedException.class)
                    .hasMessageContaining("ask for ADMIN on ciphertrail/topic/orders");
            assertThatThrownBy(writerAdmin::list).isInstanceOf(KmsAccessDeniedException.class);
        }
    }

    @Test
    void failureKindsKeepTheirExceptionTypeAcrossTheWire() {
        admin.create("ciphertrail/topic/orders-shredded");
        try (Kms writer = kms("orders-service")) {
            assertThatThrownBy(() -> await(writer.resolveAlias("ciphertrail/topic/orders-missing"))).isInstanceOf(UnknownKeyException.class)
                    .hasMessageContaining("ciphertrail/topic/orders-missing");
            admin.destroyAll("ciphertrail/topic/orders-shredded");
            assertThatThrownBy(() -> await(writer.resolveAlias("ciphertrail/topic/orders-shredded")))
                    .isInstanceOf(KeyDestroyedException.class).hasMessageContaining("shredded");
            assertThatThrownBy(() -> await(writer.generateDek(new KekRef("ciphertrail/topic/orders-shredded", 1))))
                    .isInstanceOf(KeyDestroyedException.class);
        }
    }

    @Test
    void thePrincipalIsMappedFromTheCertificateExactlyAsTheBrokersMapIt() throws Exception {
        HttpResponse<String> response = client("orders-service").send(HttpRequest.newBuilder(
                URI.create("https://localhost:" + service.port() + "/v1/whoami")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"principal\":\"User:orders-service\"");
    }

    @Test
    void anOversizedOrMalformedRequestIsRefusedWithItsKind() throws Exception {
        HttpClient client = client("orders-service");
        String big = "{\"alias\":\"" + "x".repeat(20_000) + "\"}";
        HttpResponse<String> tooLarge = client.send(post("/v1/keys/resolve", big), HttpResponse.BodyHandlers.ofString());
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(tooLarge.body()).contains("REQUEST_TOO_LARGE").doesNotContain("xxxx");

        HttpResponse<String> malformed = client.send(post("/v1/keys/unwrap", "{\"alias\": [1,"), HttpResponse.BodyHandlers.ofString());
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("BAD_REQUEST");

        HttpResponse<String> missing = client.send(post("/v1/keys/unwrap", "{\"alias\":\"ciphertrail/topic/orders\"}"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(missing.body()).contains("'alias' and 'version'");

        HttpResponse<String> unknown = client.send(post("/v2/keys/resolve", "{}"), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(404);
    }

    @Test
    void aPrincipalOverItsRateIsRefusedAndTheClientSeesAnUnavailableKms(@TempDir Path other) {
        TrustFixture limited = new TrustFixture(other, fixture.ca());
        limited.writePolicy(POLICY);
        try (TrustService slow = limited.start(TrustServiceConfig.RATE_LIMIT_PER_SECOND_CONFIG, 1L,
                TrustServiceConfig.RATE_LIMIT_BURST_CONFIG, 3L);
             Kms writer = KmsConfig.kms(limited.clientSettings("orders-service", slow))) {
            Throwable refused = null;
            for (int i = 0; i < 10 && refused == null; i++) {
                refused = catchThrowable(() -> await(writer.resolveAlias("ciphertrail/topic/orders")));
                if (refused instanceof UnknownKeyException) {
                    refused = null;
                }
            }
            assertThat(refused).isInstanceOf(KmsUnavailableException.class).hasMessageContaining("exceeded 1 calls per second");
        }
    }

    @Test
    void derivedKeysAreTheSameForEveryCallerAllowedToDerive() {
        admin.create("ciphertrail/topic/orders/record-key");
        try (Kms one = kms("orders-service"); Kms two = kms("orders-service")) {
            KekRef kek = await(one.resolveAlias("ciphertrail/topic/orders/record-key"));
            assertThat(await(one.deriveKey(kek, "p")).copyMaterial()).isEqualTo(await(two.deriveKey(kek, "p")).copyMaterial());
        }
        try (Kms reader = kms("orders-reader")) {
            assertThatThrownBy(() -> await(reader.deriveKey(new KekRef("ciphertrail/topic/orders/record-key", 1), "p")))
                    .isInstanceOf(KmsAccessDeniedException.class).hasMessageContaining("ask for DERIVE");
        }
    }

    HttpRequest post(String path, String body) {
        return HttpRequest.newBuilder(URI.create("https://localhost:" + service.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** A plain JDK client with {@code identity}'s certificate, for calls the KMS client would never make. */
    static HttpClient client(String identity) {
        return TlsClients.client(fixture.identity(identity));
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    static List<String> forms(byte[] key) {
        return List.of(hex(key), base64(key), new String(key, StandardCharsets.ISO_8859_1));
    }

}
