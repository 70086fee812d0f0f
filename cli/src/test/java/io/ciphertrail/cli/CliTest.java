package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.pki.CertificateSigningRequest;
import io.ciphertrail.core.pki.KeyAlgorithm;
import io.ciphertrail.core.pki.Pem;
import io.ciphertrail.policy.delivery.WriteFailures;
import io.ciphertrail.policy.quarantine.QuarantineHeaders;
import io.ciphertrail.policy.quarantine.QuarantineReason;
import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.quarantine.QuarantinedRecord;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The ciphertrail command as a person runs it: exit codes and what it prints. */
class CliTest {
    @TempDir
    static Path dir;
    static Path home;
    static LocalPlatform platform;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        return runWithInput("", args);
    }

    static Run runWithInput(String input, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = Ciphertrail.commandLine();
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        InputStream stdin = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            return new Run(command.execute(args), out.toString(), err.toString());
        } finally {
            System.setIn(stdin);
        }
    }

    @BeforeAll
    static void startPlatform() {
        home = dir.resolve("home");
        platform = LocalPlatform.start(new Home(home), 0, 0, 0);
    }

    @AfterAll
    static void stopPlatform() {
        platform.close();
    }

    @Test
    void producedLinesArriveThroughTheGateAndTheirTraceShowsTheWholePath() {
        Run produce = runWithInput("first order\nsecond order\n", "produce", "--topic", "shipments.ingress", "--print-trace", "--home", home.toString());
        assertThat(produce.exit()).as(produce.err()).isZero();
        assertThat(produce.err()).contains("Sent 2 records to shipments.ingress (encrypted for shipments)");
        String[] traces = produce.out().trim().split("\n");
        assertThat(traces).hasSize(2).allMatch(t -> t.matches("[0-9a-f]{32}"));

        Run consume = run("consume", "--topic", "shipments", "--from-beginning", "--max-records", "2", "--print-trace",
                "--group", "shipping", "--home", home.toString());
        assertThat(consume.exit()).as(consume.err()).isZero();
        assertThat(consume.out()).contains(traces[0] + "\tfirst order").contains(traces[1] + "\tsecond order");

        Run trace = run("trace", traces[0], "--home", home.toString());
        assertThat(trace.exit()).as(trace.err()).isZero();
        assertThat(trace.out()).contains("produced     shipments.ingress-0@0").contains("accepted").contains("forwarded    to shipments")
                .contains("now at       shipments-0@0").contains("consumed by  group shipping");

        Run audit = run("audit", "tail", "--home", home.toString());
        assertThat(audit.out()).contains("RECORD_FORWARDED  trace=" + traces[1]);
    }

    @Test
    void unknownTraceAndMissingSettingsFailWithAnActionableMessage() {
        Run unknown = run("trace", "0af7651916cd43dd8448eb211c80319c", "--home", home.toString());
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.out()).contains("No audit events for trace 0af7651916cd43dd8448eb211c80319c");

        Run nowhere = run("consume", "--topic", "x", "--home", dir.resolve("nowhere").toString());
        assertThat(nowhere.exit()).isEqualTo(1);
        assertThat(nowhere.err()).contains("Start the platform first ('ciphertrail up' or 'ciphertrail demo')");

        Run usage = run("consume");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("Missing required option: '--topic=<topic>'");
    }

    @Test
    void policiesAreCheckedBeforeTheyArePublished() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "policies:\n  - {name: x, from: a.ingress, to: a, rules: {trace: ENFORCED}}\n");
        Run rejected = run("policy", "apply", bad.toString(), "--home", home.toString());
        assertThat(rejected.exit()).isEqualTo(1);
        assertThat(rejected.err()).contains("rules.trace: 'ENFORCED' is not a mode; use ENFORCE, PERMISSIVE or OFF");

        Run shown = run("policy", "show", "--home", home.toString());
        assertThat(shown.out()).contains("name: ingress-convention").contains("fromPattern: (.+)\\.ingress");
    }

    @Test
    void keysAreListedRotatedAndShreddedOnlyWhenConfirmed() {
        assertThat(run("keys", "create", "--topic", "ledger", "--home", home.toString()).out()).contains("Created ciphertrail/topic/ledger v1");
        assertThat(run("keys", "rotate", "ciphertrail/topic/ledger", "--home", home.toString()).out()).contains("Rotated to ciphertrail/topic/ledger v2");
        Run refused = run("keys", "shred", "--topic", "ledger", "--version", "1", "--home", home.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("add --yes to confirm");
        assertThat(run("keys", "shred", "--topic", "ledger", "--version", "1", "--yes", "--home", home.toString()).exit()).isZero();
        assertThat(run("keys", "list", "--home", home.toString()).out())
                .containsPattern("ciphertrail/topic/ledger\\s+1\\s+DESTROYED").containsPattern("ciphertrail/topic/ledger\\s+2\\s+ACTIVE");
    }

    @Test
    void certificatesAreCreatedIssuedSignedAndInspected() throws Exception {
        Path ca = dir.resolve("ca");
        Path out = dir.resolve("certs");
        assertThat(run("certs", "init-ca", "--ca", ca.toString(), "--name", "Test Root").exit()).isZero();
        assertThat(run("certs", "init-ca", "--ca", ca.toString()).err()).contains("pass --force to replace it");

        Run broker = run("certs", "issue", "kafka-1", "--broker", "--dns", "kafka-1.internal", "--ip", "10.0.0.5", "--pkcs12",
                "--ca", ca.toString(), "--out", out.toString());
        assertThat(broker.exit()).as(broker.err()).isZero();
        assertThat(SecureFiles.isOwnerOnly(out.resolve("kafka-1.key"))).isTrue();
        assertThat(SecureFiles.isOwnerOnly(out.resolve("kafka-1").resolve("store-password"))).isTrue();
        Run inspected = run("certs", "inspect", out.resolve("kafka-1").resolve("keystore.p12").toString(),
                "--password-file", out.resolve("kafka-1").resolve("store-password").toString(), "--ca", ca.toString());
        assertThat(inspected.exit()).as(inspected.out() + inspected.err()).isZero();
        assertThat(inspected.out()).contains("Subject:    CN=kafka-1,O=Ciphertrail").contains("kafka-1.internal").contains("10.0.0.5")
                .contains("Status:     VALID").contains("Chain:      valid against");

        KeyPair keys = KeyAlgorithm.EC_P256.generateKeyPair();
        Path csr = dir.resolve("payments.csr");
        Files.writeString(csr, CertificateSigningRequest.create(keys, "payments").toPem());
        Run signed = run("certs", "sign-csr", csr.toString(), "--ca", ca.toString(), "--days", "7");
        assertThat(signed.exit()).as(signed.err()).isZero();
        var chain = Pem.readCertificates(dir.resolve("payments.crt"));
        assertThat(chain.get(0).getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(run("certs", "inspect", dir.resolve("payments.crt").toString(), "--ca", ca.toString()).out())
                .contains("CN=payments,O=Ciphertrail").contains("Chain:      valid against");
    }

    @Test
    void onlyThePlatformWritesItsOwnTopics() {
        Map<String, Object> producer = LocalPlatform.clientSettings(platform.home(), platform.kafka(), LocalPlatform.PRODUCER);
        producer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<String, String> forger = new KafkaProducer<>(producer, new StringSerializer(), new StringSerializer())) {
            for (String topic : LocalPlatform.PLATFORM_TOPICS) {
                assertThatThrownBy(() -> forger.send(new ProducerRecord<>(topic, "127.0.0.1", "forged")).get(20, TimeUnit.SECONDS))
                        .as(topic).hasCauseInstanceOf(TopicAuthorizationException.class);
            }
        }
    }

    @Test
    void quarantineReplayTakesAPartitionAndReplaysOnlyTheGatesOwnCopies() throws Exception {
        platform.kafka().createTopics(1, "returns.ingress");
        Map<String, Object> producer = LocalPlatform.clientSettings(platform.home(), platform.kafka(), LocalPlatform.PRODUCER);
        try (KafkaProducer<String, String> legacy = new KafkaProducer<>(producer, new StringSerializer(), new StringSerializer())) {
            legacy.send(new ProducerRecord<>("returns.ingress", "cli-plain", "{\"plain\":true}")).get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> admin = LocalPlatform.clientSettings(platform.home(), platform.kafka(), LocalPlatform.ADMIN);
        QuarantinedRecord genuine = await().atMost(Duration.ofSeconds(60)).until(() -> QuarantineTopic.read(admin, QuarantineTopic.DEFAULT_NAME,
                q -> q.record().key() != null && new String(q.record().key(), StandardCharsets.UTF_8).equals("cli-plain")), l -> !l.isEmpty()).get(0);
        long forged;
        try (KafkaProducer<byte[], byte[]> writer = new KafkaProducer<>(admin, new ByteArraySerializer(), new ByteArraySerializer())) {
            forged = writer.send(new ProducerRecord<>(QuarantineTopic.DEFAULT_NAME, null, (byte[]) null, "injected".getBytes(StandardCharsets.UTF_8),
                    QuarantineHeaders.withReason(new RecordHeaders(), new QuarantineReason("p", "envelope", "NOT_ENCRYPTED", "x", "returns", 0, 0, 1L))))
                    .get().offset();
        }
        String partition = Integer.toString(genuine.record().partition());
        Run refused = run("quarantine", "replay", "--partition", "0", "--offset", Long.toString(forged), "--home", home.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).contains("Refused quarantine 0@" + forged + ": 'returns' is not an ingress topic the gate reads");

        Run shown = run("quarantine", "show", "--partition", partition, "--offset", Long.toString(genuine.record().offset()), "--home", home.toString());
        assertThat(shown.out()).contains("reason:    NOT_ENCRYPTED").contains("from:      returns.ingress partition 0");
        Run replayed = run("quarantine", "replay", "--partition", partition, "--offset", Long.toString(genuine.record().offset()),
                "--home", home.toString());
        assertThat(replayed.exit()).as(replayed.out() + replayed.err()).isZero();
        assertThat(replayed.out()).contains("Replayed quarantine " + partition + "@" + genuine.record().offset() + " to returns.ingress");
    }

    @Test
    void upTellsWhenThePolicyServiceCannotWriteAndWhenItWritesAgain() {
        ServiceWatch watch = new ServiceWatch();
        java.time.Instant at = java.time.Instant.parse("2026-01-01T10:00:00Z");
        assertThat(watch.update(new WriteFailures.Report(WriteFailures.Status.UP, 0, null, null, 1_000))).isNull();
        assertThat(watch.update(new WriteFailures.Report(WriteFailures.Status.RETRYING, 1, at,
                "Cannot write to the quarantine topic 'ciphertrail.quarantine': it does not exist", 1_000)))
                .contains("a write failed (Cannot write to the quarantine topic 'ciphertrail.quarantine': it does not exist)")
                .contains("Nothing is skipped").contains("RETRYING");
        assertThat(watch.update(new WriteFailures.Report(WriteFailures.Status.RETRYING, 1, at, "same", 1_000))).isNull();
        assertThat(watch.update(new WriteFailures.Report(WriteFailures.Status.UP, 1, at, "same", 1_000))).contains("writing again");
    }
}
