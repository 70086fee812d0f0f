package io.ciphertrail.policy.gate;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.core.envelope.CryptoListener;
import io.ciphertrail.core.envelope.DekCache;
import io.ciphertrail.core.envelope.DeleteProof;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.envelope.EnvelopeEncryptor;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.core.trace.TraceContext;
import io.ciphertrail.policy.rules.PolicyBook;
import io.ciphertrail.policy.rules.PolicyFile;
import io.ciphertrail.policy.rules.ReservedTopics;
import io.ciphertrail.policy.rules.Rule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every decision of the gate, with real envelopes and no Kafka. */
class GateTest {
    @TempDir
    static Path dir;
    static Kms kms;
    static EnvelopeEncryptor encryptor;

    private final Gate gate = new Gate("ciphertrail/topic/${topic}", Pattern.compile(".+\\.ingress"));

    @BeforeAll
    static void keys() {
        Path password = dir.resolve("pw");
        SecureFiles.writeOwnerOnly(password, "pw".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> configs = Map.of(KmsConfig.TYPE_CONFIG, "local",
                LocalKmsProvider.KEYSTORE_PATH_CONFIG, dir.resolve("keks.p12").toString(),
                LocalKmsProvider.PASSWORD_FILE_CONFIG, password.toString());
        KmsConfig.initialize(configs);
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            admin.create("ciphertrail/topic/orders");
            admin.create("ciphertrail/topic/payments");
            admin.create("elsewhere/orders");
        }
        kms = KmsConfig.kms(configs);
        encryptor = new EnvelopeEncryptor(kms, new EnvelopeConfig(Map.of()), new DekCache(10, 60_000, Clock.systemUTC()),
                CryptoListener.NONE, Clock.systemUTC());
    }

    @AfterAll
    static void close() {
        encryptor.close();
        kms.close();
    }

    private static PolicyBook policies(String rules) {
        return new PolicyBook(PolicyFile.parse("""
                policies:
                  - name: orders
                    from: orders.ingress
                    to: orders
                    maxRecordBytes: 2048
                """ + rules, "test"));
    }

    private static Headers traced() {
        Headers headers = new RecordHeaders();
        TraceContext.newTrace().writeTo(headers);
        return headers;
    }

    @Test
    void encryptedForTheEgressTopicWithItsTracePasses() {
        Headers headers = traced();
        byte[] value = encryptor.encrypt("orders", headers, "order".getBytes(StandardCharsets.UTF_8));
        Verdict verdict = gate.check("orders.ingress", headers, null, value, policies(""));
        assertThat(verdict.forwarded()).isTrue();
        assertThat(verdict.route().orElseThrow().egressTopic()).isEqualTo("orders");
        assertThat(verdict.traceId()).contains(TraceContext.fromHeaders(headers).orElseThrow().traceId());
        assertThat(verdict.warnings()).isEmpty();
        assertThat(verdict.assignedTrace()).isEmpty();
    }

    @Test
    void eachBrokenRuleQuarantinesWithItsOwnReason() {
        Headers headers = traced();
        assertQuarantined(gate.check("orders.ingress", headers, null, "{\"plain\":true}".getBytes(StandardCharsets.UTF_8), policies("")),
                Rule.ENVELOPE, "NOT_ENCRYPTED");
        assertQuarantined(gate.check("orders.ingress", headers, null, encryptor.encrypt("payments", headers, new byte[1]), policies("")),
                Rule.BINDING, "WRONG_TOPIC");
        assertQuarantined(gate.check("orders.ingress", headers, null, encryptor.encrypt("orders", headers, new byte[4096]), policies("")),
                Rule.SIZE, "TOO_LARGE");
        byte[] future = encryptor.encrypt("orders", headers, new byte[1]);
        future[2] = 9;
        assertQuarantined(gate.check("orders.ingress", headers, null, future, policies("")), Rule.ENVELOPE, "UNSUPPORTED_VERSION");
        Headers otherTrace = traced();
        assertQuarantined(gate.check("orders.ingress", otherTrace, null, encryptor.encrypt("orders", headers, new byte[1]), policies("")),
                Rule.TRACE, "TRACE_MISMATCH");
        Headers garbledTrace = new RecordHeaders();
        garbledTrace.add("traceparent", new byte[] {(byte) 0xff, 0, 1});
        assertQuarantined(gate.check("orders.ingress", garbledTrace, null, encryptor.encrypt("orders", new RecordHeaders(), new byte[1]),
                policies("")), Rule.TRACE, "MALFORMED_TRACE");
        assertQuarantined(gate.check("orders.ingress", new RecordHeaders(), null, new byte[] {(byte) 0xC7, 0x54, 1, 0, 0}, policies("")),
                Rule.ENVELOPE, "MALFORMED");
    }

    @Test
    void wrongKekForTheRightTopicIsABindingFailure() {
        EnvelopeConfig elsewhere = new EnvelopeConfig(Map.of(EnvelopeConfig.KEK_ALIAS_TEMPLATE_CONFIG, "elsewhere/${topic}"));
        try (EnvelopeEncryptor other = new EnvelopeEncryptor(kms, elsewhere, new DekCache(10, 60_000, Clock.systemUTC()),
                CryptoListener.NONE, Clock.systemUTC())) {
            Headers headers = traced();
            assertQuarantined(gate.check("orders.ingress", headers, null, other.encrypt("orders", headers, new byte[1]), policies("")),
                    Rule.BINDING, "WRONG_KEK");
        }
    }

    @Test
    void missingTraceIsRejectedWhenEnforcedAndAssignedWhenPermissive() {
        byte[] unbound = encryptor.encrypt("orders", new RecordHeaders(), new byte[1]);
        assertQuarantined(gate.check("orders.ingress", new RecordHeaders(), null, unbound, policies("")), Rule.TRACE, "MISSING_TRACE");

        Verdict permissive = gate.check("orders.ingress", new RecordHeaders(), null, unbound, policies("    rules: {trace: PERMISSIVE}\n"));
        assertThat(permissive.forwarded()).isTrue();
        assertThat(permissive.assignedTrace()).isPresent();
        assertThat(permissive.traceId()).isEqualTo(permissive.assignedTrace().map(TraceContext::traceId));
        assertThat(permissive.warnings()).extracting(Violation::code).containsExactly("MISSING_TRACE");

        // A record whose header is unreadable gets the trace bound in its envelope, whole, not a new one.
        Headers original = traced();
        byte[] bound = encryptor.encrypt("orders", original, new byte[1]);
        Headers garbled = new RecordHeaders();
        garbled.add(TraceContext.HEADER, new byte[] {1});
        Verdict restored = gate.check("orders.ingress", garbled, null, bound, policies("    rules: {trace: PERMISSIVE}\n"));
        assertThat(restored.assignedTrace()).isEqualTo(TraceContext.fromHeaders(original));
    }

    @Test
    void recordsOfVersion2CarryTheirTraceInTheEnvelopeAndPassWithoutTheHeader() {
        Headers headers = traced();
        String traceId = TraceContext.fromHeaders(headers).orElseThrow().traceId();
        byte[] value = encryptor.encrypt("orders", headers, "order".getBytes(StandardCharsets.UTF_8));
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        Headers deleted = traced();
        encryptor.encryptDelete("orders", deleted, key);
        String deleteTrace = TraceContext.fromHeaders(deleted).orElseThrow().traceId();
        deleted.remove(TraceContext.HEADER);
        assertThat(value[2]).isEqualTo((byte) 2);

        Verdict forwarded = gate.check("orders.ingress", new RecordHeaders(), null, value, policies(""));
        assertThat(forwarded.forwarded()).isTrue();
        assertThat(forwarded.traceId()).contains(traceId);
        assertThat(forwarded.assignedTrace()).as("nothing to add: readers restore the header from the envelope").isEmpty();
        Verdict delete = gate.check("orders.ingress", deleted, key, null, policies(""));
        assertThat(delete.forwarded()).isTrue();
        assertThat(delete.traceId()).contains(deleteTrace);

        // The structural checks hold without the header: wrong topic, wrong KEK, another key.
        assertQuarantined(gate.check("orders.ingress", new RecordHeaders(), null, encryptor.encrypt("payments", traced(), new byte[1]),
                policies("")), Rule.BINDING, "WRONG_TOPIC");
        assertQuarantined(gate.check("orders.ingress", deleted, "other".getBytes(StandardCharsets.UTF_8), null, policies("")),
                Rule.BINDING, "UNAUTHENTICATED_DELETE");
        EnvelopeConfig elsewhere = new EnvelopeConfig(Map.of(EnvelopeConfig.KEK_ALIAS_TEMPLATE_CONFIG, "elsewhere/${topic}"));
        try (EnvelopeEncryptor other = new EnvelopeEncryptor(kms, elsewhere, new DekCache(10, 60_000, Clock.systemUTC()),
                CryptoListener.NONE, Clock.systemUTC())) {
            assertQuarantined(gate.check("orders.ingress", new RecordHeaders(), null, other.encrypt("orders", traced(), new byte[1]),
                    policies("")), Rule.BINDING, "WRONG_KEK");
        }
        // A record of version 1 from a writer that still writes it, its header dropped by a hop: its trace ID still counts.
        try (EnvelopeEncryptor v1 = new EnvelopeEncryptor(kms, new EnvelopeConfig(Map.of(EnvelopeConfig.FORMAT_VERSION_CONFIG, 1)),
                new DekCache(10, 60_000, Clock.systemUTC()), CryptoListener.NONE, Clock.systemUTC())) {
            byte[] old = v1.encrypt("orders", headers, new byte[1]);
            assertThat(old[2]).isEqualTo((byte) 1);
            assertThat(gate.check("orders.ingress", new RecordHeaders(), null, old, policies("")).traceId()).contains(traceId);
        }
    }

    @Test
    void permissiveRulesForwardWithWarningsAndOffRulesAreSkipped() {
        byte[] plain = "{}".getBytes(StandardCharsets.UTF_8);
        Verdict verdict = gate.check("orders.ingress", traced(), null, plain, policies("    rules: {envelope: PERMISSIVE}\n"));
        assertThat(verdict.forwarded()).isTrue();
        assertThat(verdict.warnings()).extracting(Violation::code).containsExactly("NOT_ENCRYPTED");
        assertThat(gate.check("orders.ingress", traced(), null, plain, policies("    rules: {envelope: OFF}\n")).forwarded()).isTrue();
    }

    @Test
    void noPolicyAndRoutingLoopsAreQuarantined() {
        Verdict unrouted = gate.check("unknown.ingress", traced(), null, new byte[1], policies(""));
        assertThat(unrouted.quarantine().orElseThrow().code()).isEqualTo("NO_POLICY");
        assertThat(unrouted.quarantine().get().detail()).contains("ciphertrail policy apply");

        PolicyBook loop = new PolicyBook(PolicyFile.parse("policies:\n  - {name: loop, fromPattern: '(.+)', to: '$1.ingress'}\n", "t"));
        assertThat(gate.check("a.ingress", traced(), null, new byte[1], loop).quarantine().orElseThrow().code()).isEqualTo("ROUTING_LOOP");
    }

    @Test
    void noRouteLeadsIntoThePlatformsOwnTopics() {
        Gate guarded = new Gate(new EnvelopeConfig(Map.of()), Pattern.compile(".+\\.ingress"),
                new ReservedTopics(java.util.List.of("ciphertrail.quarantine", "ciphertrail.trail", "ciphertrail.audit"), "policy-service"));
        PolicyBook convention = new PolicyBook(PolicyFile.parse("policies:\n  - {name: convention, fromPattern: '(.+)\\.ingress', to: '$1'}\n", "t"));
        for (String ingress : java.util.List.of("ciphertrail.quarantine.ingress", "ciphertrail.trail.ingress", "ciphertrail.audit.ingress",
                "policy-service-insecure-clients-repartition.ingress", "__consumer_offsets.ingress")) {
            Headers headers = traced();
            String egress = ingress.substring(0, ingress.length() - ".ingress".length());
            Verdict verdict = guarded.check(ingress, headers, null, new byte[1], convention);
            assertThat(verdict.forwarded()).as(ingress).isFalse();
            assertThat(verdict.quarantine().orElseThrow().code()).isEqualTo("RESERVED_EGRESS");
            assertThat(verdict.quarantine().get().ruleName()).isEqualTo("route");
            assertThat(verdict.quarantine().get().detail()).contains("'" + egress + "'").contains("fix the policy's 'to'");
        }
        Headers headers = traced();
        assertThat(guarded.check("orders.ingress", headers, null, encryptor.encrypt("orders", headers, new byte[1]), convention).forwarded()).isTrue();
    }

    @Test
    void aDeleteMustCarryAProofForTheEgressTopicItsKekAndItsKey() {
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        Headers genuine = traced();
        encryptor.encryptDelete("orders", genuine, key);
        Verdict forwarded = gate.check("orders.ingress", genuine, key, null, policies(""));
        assertThat(forwarded.forwarded()).isTrue();
        assertThat(forwarded.traceId()).contains(TraceContext.fromHeaders(genuine).orElseThrow().traceId());

        assertQuarantined(gate.check("orders.ingress", traced(), key, null, policies("")), Rule.ENVELOPE, "UNAUTHENTICATED_DELETE");
        assertQuarantined(gate.check("orders.ingress", genuine, "other".getBytes(StandardCharsets.UTF_8), null, policies("")),
                Rule.BINDING, "UNAUTHENTICATED_DELETE");
        Headers forPayments = traced();
        encryptor.encryptDelete("payments", forPayments, key);
        assertQuarantined(gate.check("orders.ingress", forPayments, key, null, policies("")), Rule.BINDING, "WRONG_TOPIC");
        Headers otherTrace = traced();
        otherTrace.add(genuine.lastHeader(DeleteProof.HEADER));
        assertQuarantined(gate.check("orders.ingress", otherTrace, key, null, policies("")), Rule.TRACE, "TRACE_MISMATCH");
        Headers garbled = traced();
        garbled.add(DeleteProof.HEADER, new byte[] {(byte) 0xC7, 0x44, 1});
        assertQuarantined(gate.check("orders.ingress", garbled, key, null, policies("")), Rule.ENVELOPE, "MALFORMED");

        Gate migrating = new Gate(new EnvelopeConfig(Map.of(EnvelopeConfig.PLAIN_DELETES_TOPICS_CONFIG, "orders")), Pattern.compile(".+\\.ingress"));
        assertThat(migrating.check("orders.ingress", traced(), key, null, policies("")).forwarded()).isTrue();
        assertThat(gate.check("orders.ingress", traced(), key, null, policies("    rules: {envelope: OFF}\n")).forwarded()).isTrue();
    }

    @Test
    void aDeleteProofUnderAnotherTopicsKekIsABindingFailure() {
        EnvelopeConfig elsewhere = new EnvelopeConfig(Map.of(EnvelopeConfig.KEK_ALIAS_TEMPLATE_CONFIG, "elsewhere/${topic}"));
        try (EnvelopeEncryptor other = new EnvelopeEncryptor(kms, elsewhere, new DekCache(10, 60_000, Clock.systemUTC()),
                CryptoListener.NONE, Clock.systemUTC())) {
            Headers headers = traced();
            other.encryptDelete("orders", headers, new byte[] {1});
            assertQuarantined(gate.check("orders.ingress", headers, new byte[] {1}, null, policies("")), Rule.BINDING, "WRONG_KEK");
        }
    }

    @Test
    void theKekTheGateExpectsFollowsTheSameMappingsAsTheReaders() {
        EnvelopeConfig shared = new EnvelopeConfig(Map.of(EnvelopeConfig.KEK_ALIAS_MAPPINGS_CONFIG, "orders|returns=elsewhere/orders"));
        try (EnvelopeEncryptor writer = new EnvelopeEncryptor(kms, shared, new DekCache(10, 60_000, Clock.systemUTC()),
                CryptoListener.NONE, Clock.systemUTC())) {
            Headers headers = traced();
            byte[] value = writer.encrypt("orders", headers, new byte[1]);
            assertThat(new Gate(shared, Pattern.compile(".+\\.ingress")).check("orders.ingress", headers, null, value, policies("")).forwarded())
                    .isTrue();
            assertQuarantined(gate.check("orders.ingress", headers, null, value, policies("")), Rule.BINDING, "WRONG_KEK");
        }
    }

    private static void assertQuarantined(Verdict verdict, Rule rule, String code) {
        assertThat(verdict.forwarded()).as("forwarded although %s should fail", code).isFalse();
        assertThat(verdict.quarantine().orElseThrow().rule()).isEqualTo(rule);
        assertThat(verdict.quarantine().get().code()).isEqualTo(code);
    }
}
