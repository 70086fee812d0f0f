package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.pki.CertificateSigningRequest;
import io.ciphertrail.core.pki.KeyAlgorithm;
import io.ciphertrail.core.pki.Pem;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
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
        assertThat(run("keys", "create", "--topic", "shipments", "--home", home.toString()).exit()).isZero();
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
        // Key uses reach the audit topic once the key service's audit window (1 s in 'up') ends.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(run("trace", traces[0], "--home", home.toString()).out())
                        .contains("ciphertrail/topic/shipments v1 (its uses, from the key service's audit trail)")
                        .contains("GENERATE_DATA_KEY by User:demo-producer ALLOWED").contains("UNWRAP by User:demo-consumer ALLOWED"));

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
    void keysGoThroughTheKeyServiceAsTheAdministratorAndNoOneElse() {
        Run refused = run("keys", "create", "--topic", "sneaky", "--as", "demo-producer", "--home", home.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("KMS_ACCESS_DENIED").contains("User:demo-producer")
                .contains("ask for ADMIN on ciphertrail/topic/sneaky in the key policy");
        Run created = run("keys", "create", "--topic", "sneaky", "--home", home.toString());
        assertThat(created.out()).contains("Created ciphertrail/topic/sneaky v1");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(run("audit", "tail", "-n", "500", "--home", home.toString()).out())
                        .contains("KEY_USE_DENIED  principal=User:demo-producer").contains("operation=CREATE key=ciphertrail/topic/sneaky"));
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
}
