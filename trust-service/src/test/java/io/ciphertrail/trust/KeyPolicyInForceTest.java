package io.ciphertrail.trust;

import static io.ciphertrail.trust.KeyServiceTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.GeneratedDek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAccessDeniedException;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.KmsFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key policy while the service runs, and the audit trail it leaves: changes apply to the next call,
 * an invalid change is refused naming the rule, DRY_RUN denies nothing and audits what it would deny,
 * every operation is audited exactly once (denials aggregated), and no key material or secret reaches
 * any log line, audit event or error.
 */
class KeyPolicyInForceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TrustFixture fixture;
    static TrustService service;
    static KmsAdmin admin;
    /** Each test's own KEK, so the tests share one service. */
    String alias;

    @BeforeAll
    static void start() {
        fixture = new TrustFixture(dir);
        fixture.writePolicy(policy(""));
        service = fixture.start();
        admin = KmsConfig.admin(fixture.clientSettings("key-admin", service));
    }

    @AfterAll
    static void stop() {
        admin.close();
        service.close();
    }

    @BeforeEach
    void createKey() {
        fixture.writePolicy(policy(""));
        alias = "ciphertrail/topic/t-" + UUID.randomUUID().toString().substring(0, 8);
        admin.create(alias);
    }

    /** The writer may ENCRYPT, the admin ADMIN; {@code more} adds rules. */
    private static String policy(String more) {
        return "rules:\n"
                + "  - {name: writer, principals: [User:writer], keys: [\"ciphertrail/topic/*\"], operations: [ENCRYPT]}\n"
                + "  - {name: admins, principals: [User:key-admin], keys: [\"*\"], operations: [ADMIN]}\n" + more;
    }

    private Kms kms(String identity) {
        return KmsConfig.kms(fixture.clientSettings(identity, service));
    }

    private GeneratedDek generate() {
        try (Kms writer = kms("writer")) {
            return await(writer.generateDek(await(writer.resolveAlias(alias))));
        }
    }

    /** This test's audit events (the audit logger's JSON lines), after ending the window. */
    private List<JsonNode> auditEvents() {
        service.flushAudit();
        List<JsonNode> events = new ArrayList<>();
        for (String line : CapturedLogs.auditLines()) {
            try {
                JsonNode event = JSON.readTree(line);
                if (event.path("alias").asText().equals(alias)) {
                    events.add(event);
                }
            } catch (IOException e) {
                throw new AssertionError("An audit line is not JSON: " + line, e);
            }
        }
        return events;
    }

    @Test
    void aPolicyChangeAppliesToTheNextCall() {
        Edek edek = generate().edek();
        try (Kms reader = kms("reader")) {
            assertThatThrownBy(() -> await(reader.unwrap(edek))).isInstanceOf(KmsAccessDeniedException.class);

            fixture.writePolicy(policy("  - {name: reader, principals: [User:reader], keys: [\"" + alias + "\"], operations: [DECRYPT]}\n"));
            assertThat(await(reader.unwrap(edek)).copyMaterial()).hasSize(Dek.LENGTH);

            fixture.writePolicy(policy(""));
            assertThatThrownBy(() -> await(reader.unwrap(edek))).isInstanceOf(KmsAccessDeniedException.class);
        }
    }

    @Test
    void anInvalidChangeKeepsThePolicyInForceAndNamesTheRule() throws Exception {
        Edek edek = generate().edek();
        fixture.writePolicy(policy("  - {name: reader, principals: [User:reader], keys: [\"" + alias + "\"], operations: [DECRYPT]}\n"));
        try (Kms reader = kms("reader")) {
            await(reader.unwrap(edek));
            fixture.writePolicy(policy("  - {name: broken-rule, principals: [reader], keys: [\"*\"], operations: [DECRYPT]}\n"));
            assertThat(await(reader.unwrap(edek)).copyMaterial()).hasSize(Dek.LENGTH);
        }
        assertThat(CapturedLogs.lines()).anySatisfy(line -> assertThat(line).contains("previous policy stays in force")
                .contains("rules[2] ('broken-rule')").contains("User:reader"));
        assertThat(metrics()).containsPattern("ciphertrail_key_policy_reload_failures_total [1-9]");
    }

    @Test
    void dryRunDeniesNothingAndAuditsWhatItWouldDeny() {
        Edek edek = generate().edek();
        fixture.writePolicy("mode: DRY_RUN\n" + policy(""));
        try (Kms stranger = kms("stranger")) {
            assertThat(await(stranger.unwrap(edek)).copyMaterial()).hasSize(Dek.LENGTH);
        }
        assertThat(auditEvents()).filteredOn(e -> e.path("principal").asText().equals("User:stranger")).singleElement().satisfies(event -> {
            assertThat(event.path("eventType").asText()).isEqualTo("KEY_USE_DRY_RUN_DENIED");
            assertThat(event.path("decision").asText()).isEqualTo("DENIED");
            assertThat(event.path("dryRun").asBoolean()).isTrue();
            assertThat(event.path("operation").asText()).isEqualTo("UNWRAP");
            assertThat(event.path("result").asText()).isEqualTo("OK");
            assertThat(event.path("reason").asText()).contains("ask for DECRYPT on " + alias);
        });
    }

    @Test
    void everyOperationIsAuditedOnceAndRepeatedDenialsAggregate() {
        List<Edek> edeks = new ArrayList<>();
        try (Kms writer = kms("writer")) {
            KekRef kek = await(writer.resolveAlias(alias));
            for (int i = 0; i < 20; i++) {
                edeks.add(await(writer.generateDek(kek)).edek());
            }
        }
        try (Kms intruder = kms("hammering-intruder")) {
            for (int i = 0; i < 30; i++) {
                Edek edek = edeks.get(i % edeks.size());
                assertThat(catchThrowable(() -> await(intruder.unwrap(edek)))).isInstanceOf(KmsAccessDeniedException.class);
            }
        }
        List<JsonNode> events = auditEvents();
        Map<String, Long> counts = events.stream().collect(Collectors.groupingBy(
                e -> e.path("principal").asText() + " " + e.path("operation").asText() + " " + e.path("decision").asText(),
                Collectors.summingLong(e -> e.path("count").asLong())));
        assertThat(counts).containsEntry("User:writer RESOLVE ALLOWED", 1L)
                .containsEntry("User:writer GENERATE_DATA_KEY ALLOWED", 20L)
                .containsEntry("User:hammering-intruder UNWRAP DENIED", 30L)
                .containsEntry("User:key-admin CREATE ALLOWED", 1L);
        assertThat(events).filteredOn(e -> e.path("principal").asText().equals("User:hammering-intruder")).singleElement().satisfies(event -> {
            assertThat(event.path("eventType").asText()).isEqualTo("KEY_USE_DENIED");
            assertThat(event.path("clientAddress").asText()).isEqualTo("127.0.0.1");
            assertThat(event.path("version").asInt()).isEqualTo(1);
            assertThat(event.path("permission").asText()).isEqualTo("DECRYPT");
            assertThat(event.path("rule").asText()).isEmpty();
            assertThat(event.path("type").asText()).isEqualTo("io.ciphertrail.trust/key-use");
        });
        assertThat(metrics()).contains("ciphertrail_key_denials_total{operation=\"UNWRAP\",principal=\"User:hammering-intruder\"} 30.0");
        // Counted once: a second window holds none of these again.
        assertThat(auditEvents()).hasSize(events.size());
    }

    @Test
    void noKeyMaterialOrSecretReachesAnyLogLineAuditEventOrError() {
        List<byte[]> keys = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        List<Edek> edeks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            GeneratedDek generated = generate();
            keys.add(generated.dek().copyMaterial());
            edeks.add(generated.edek());
        }
        fixture.writePolicy(policy("  - {name: reader, principals: [User:reader], keys: [\"" + alias + "\"], operations: [DECRYPT]}\n"));
        try (Kms reader = kms("reader"); Kms intruder = kms("intruder")) {
            for (Edek edek : edeks) {
                keys.add(await(reader.unwrap(edek)).copyMaterial());
                errors.add(catchThrowable(() -> await(intruder.unwrap(edek))).getMessage());
            }
            // A derived data key (format 3) refuses an altered check value (an altered nonce is another key, which the
            // record's tag refuses) and an unknown format byte; neither error may show key material.
            for (int at : new int[] {1, 0}) {
                byte[] tampered = edeks.get(0).wrapped();
                tampered[at] ^= 1;
                errors.add(catchThrowable(() -> await(reader.unwrap(new Edek(edeks.get(0).kek(), tampered)))).getMessage());
            }
        }
        List<String> secrets = new ArrayList<>(List.of(KmsFixture.SECRET,
                fixture.server().kafkaSslProperties().get("ssl.keystore.password").toString(),
                fixture.identity("reader").kafkaSslProperties().get("ssl.keystore.password").toString()));
        for (byte[] key : keys) {
            secrets.add(HexFormat.of().formatHex(key));
            secrets.add(Base64.getEncoder().encodeToString(key));
            secrets.add(Base64.getEncoder().encodeToString(key).substring(0, 20));
        }
        List<String> everything = new ArrayList<>(CapturedLogs.lines());
        auditEvents().forEach(event -> everything.add(event.toString()));
        everything.addAll(errors);
        everything.add(metrics());
        assertThat(errors).allSatisfy(error -> assertThat(error).isNotBlank());
        for (String secret : secrets) {
            assertThat(everything).noneSatisfy(line -> assertThat(line).contains(secret));
        }
    }

    private String metrics() {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.managementPort()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
