package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.pki.CertificateSigningRequest;
import io.ciphertrail.core.pki.KeyAlgorithm;
import io.ciphertrail.core.pki.Pem;
import io.ciphertrail.core.tls.TlsConfig;
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
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
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
        InputStream stdin = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            return runAlongside(args);
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
        // The default trail holds a compact index entry for a forwarded record, not an audit event: the whole path all the same.
        assertThat(trace.out()).contains("produced     shipments.ingress-0@0")
                .contains("forwarded    by the gate from shipments.ingress-0@0 (policy ingress-convention) to shipments")
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
    void aWorkloadWithATokenFromCertsTokenProducesWithoutAKeyStore() throws Exception {
        Run token = run("certs", "token", "--identity", LocalPlatform.PRODUCER, "--ttl", "10m", "--home", home.toString());
        assertThat(token.exit()).as(token.err()).isZero();
        assertThat(token.out().trim()).startsWith("ctbt_");
        assertThat(token.err()).contains("One-time token").contains("for demo-producer, valid until");
        assertThat(run("certs", "token", "--identity", "x", "--ttl", "ten minutes", "--home", home.toString()).err())
                .contains("'ten minutes' is not a duration");

        // A client file with no key store and no password: the identity, the trust service and the token file.
        Path tokenFile = dir.resolve("producer-token");
        SecureFiles.writeOwnerOnly(tokenFile, token.out().trim().getBytes(StandardCharsets.US_ASCII));
        String trust = "https://localhost:" + platform.keyService().port();
        Path config = dir.resolve("short-lived-producer.properties");
        Files.writeString(config, String.join("\n",
                "bootstrap.servers=" + platform.kafka().bootstrapServers(),
                "security.protocol=SSL",
                "ssl.truststore.type=PEM",
                "ssl.truststore.location=" + home.resolve("ca").resolve("ca.crt"),
                "ciphertrail.identity.name=" + LocalPlatform.PRODUCER,
                "ciphertrail.identity.urls=" + trust,
                "ciphertrail.identity.bootstrap.urls=https://localhost:" + platform.keyService().bootstrapPort(),
                "ciphertrail.identity.bootstrap.token.file=" + tokenFile,
                "ciphertrail.kms.type=remote",
                "ciphertrail.kms.remote.urls=" + trust, ""));
        Run produce = runWithInput("short-lived hello\n", "produce", "--topic", LocalPlatform.DEMO_INGRESS, "--config", config.toString());
        assertThat(produce.exit()).as(produce.err()).isZero();

        // Barring: listed while it lasts, and a barred identity gets no token.
        assertThat(run("certs", "bar", "--identity", "temp-worker", "--reason", "SEC-42", "--home", home.toString()).out())
                .contains("Barred temp-worker (SEC-42)");
        assertThat(run("certs", "barred", "--home", home.toString()).out()).contains("temp-worker").contains("SEC-42");
        assertThat(run("certs", "token", "--identity", "temp-worker", "--home", home.toString()).err()).contains("IDENTITY_BARRED");
        assertThat(run("certs", "unbar", "--identity", "temp-worker", "--home", home.toString()).out()).contains("Bar on temp-worker lifted");
        assertThat(run("certs", "barred", "--home", home.toString()).out()).doesNotContain("temp-worker");
    }

    @Test
    void twoShareGroupMembersSplitAGatedQueueEachLineOnceWithItsTrace() throws Exception {
        assertThat(run("keys", "create", "--topic", "tasks", "--home", home.toString()).exit()).isZero();
        Run produce = runWithInput("task 1\ntask 2\ntask 3\ntask 4\ntask 5\ntask 6\n", "produce", "--topic", "tasks.ingress",
                "--print-trace", "--home", home.toString());
        assertThat(produce.exit()).as(produce.err()).isZero();
        List<String> traces = List.of(produce.out().trim().split("\n"));

        // Two workers of one queue, fed by the policy gate; between them they take each task once.
        ExecutorService workers = Executors.newFixedThreadPool(2);
        Future<Run> first = workers.submit(() -> runAlongside("consume", "--topic", "tasks", "--share-group", "task-workers",
                "--from-beginning", "--max-records", "2", "--print-trace", "--home", home.toString()));
        Future<Run> second = workers.submit(() -> runAlongside("consume", "--topic", "tasks", "--share-group", "task-workers",
                "--from-beginning", "--max-records", "4", "--print-trace", "--home", home.toString()));
        List<String> lines = new ArrayList<>();
        for (Future<Run> worker : List.of(first, second)) {
            Run run = worker.get(2, TimeUnit.MINUTES);
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(run.err()).contains("as a member of share group task-workers");
            lines.addAll(List.of(run.out().trim().split("\n")));
        }
        workers.shutdown();
        assertThat(lines).containsExactlyInAnyOrder(traces.get(0) + "\ttask 1", traces.get(1) + "\ttask 2", traces.get(2) + "\ttask 3",
                traces.get(3) + "\ttask 4", traces.get(4) + "\ttask 5", traces.get(5) + "\ttask 6");
    }

    /** Runs a command without touching standard input, so two can run at once. */
    static Run runAlongside(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = Ciphertrail.commandLine();
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        return new Run(command.execute(args), out.toString(), err.toString());
    }

    @Test
    void unknownTraceAndMissingSettingsFailWithAnActionableMessage() {
        Run unknown = run("trace", "0af7651916cd43dd8448eb211c80319c", "--home", home.toString());
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.out()).contains("Nothing on the trail for trace 0af7651916cd43dd8448eb211c80319c");

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
    void aTopicWithoutAKekIsRefusedOnProduceNamingTheCommandThatCreatesIt() {
        Run produce = runWithInput("first\n", "produce", "--topic", "parcels.ingress", "--home", home.toString());
        assertThat(produce.exit()).isEqualTo(1);
        assertThat(produce.err()).contains("UNKNOWN_KEK").contains("ciphertrail keys create ciphertrail/topic/parcels");
        assertThat(run("keys", "list", "--home", home.toString()).out()).doesNotContain("ciphertrail/topic/parcels");
    }

    /**
     * The operator scenario: with the platform up, the KEK store is moved away, records are produced, the store is
     * put back. The key service, the only process that opens the store, keeps the keys it read, so clients go on;
     * nothing makes a new store or key on its own, and a key that would have to be written is refused naming the
     * store and the fix. After an explicit start-over, what was written under the replacement key reads as
     * KEK_MISMATCH, and what was written before reads again.
     */
    @Test
    void aKeyStoreMovedAwayWhileUpRunsIsNeverSilentlyReplaced() throws Exception {
        String h = home.toString();
        assertThat(run("keys", "create", "--topic", "receipts", "--home", h).exit()).isZero();
        assertThat(runWithInput("before\n", "produce", "--topic", "receipts.ingress", "--home", h).exit()).isZero();
        Path store = new Home(home).kmsKeyStore();
        Path moved = dir.resolve("keks.p12.moved");
        Files.move(store, moved);
        try {
            assertThat(runWithInput("during\n", "produce", "--topic", "receipts.ingress", "--home", h).exit()).isZero();
            assertThat(run("keys", "list", "--home", h).out()).contains("ciphertrail/topic/receipts");
            Run refused = run("keys", "create", "--topic", "invoices", "--home", h);
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains(store.toString()).contains("restore it").contains("ciphertrail keys init");
            assertThat(store).doesNotExist();

            Run init = run("keys", "init", "--home", h);
            assertThat(init.exit()).as(init.err()).isZero();
            assertThat(run("keys", "init", "--home", h).err()).contains("already exists");
            assertThat(run("keys", "create", "--topic", "receipts", "--home", h).exit()).isZero();
            assertThat(runWithInput("after a new store\n", "produce", "--topic", "receipts.ingress", "--home", h).exit()).isZero();
        } finally {
            Files.move(moved, store, StandardCopyOption.REPLACE_EXISTING);
        }
        Run consume = run("consume", "--topic", "receipts", "--from-beginning", "--max-records", "3", "--timeout-ms", "20000", "--home", h);
        assertThat(consume.out()).isEqualTo("before\nduring\n");
        assertThat(consume.exit()).isEqualTo(1);
        assertThat(consume.err()).contains("KEK_MISMATCH").contains("ciphertrail/topic/receipts v1").contains("Restore the original store")
                .doesNotContain("TAMPERED");
    }

    @Test
    void aHomeWhoseKeyStoreWentMissingDoesNotStartWithAnEmptyOne() throws Exception {
        Home missing = new Home(dir.resolve("lost-store"));
        Files.createDirectories(missing.kmsPassword().getParent());
        Files.writeString(missing.kmsPassword(), "pw");
        assertThatThrownBy(() -> LocalPlatform.start(missing, 0, 0, 0)).hasMessageContaining(missing.kmsKeyStore().toString())
                .hasMessageContaining("Put the key store back").hasMessageContaining("ciphertrail keys init --home");
        assertThat(missing.kmsKeyStore()).doesNotExist();
    }

    @Test
    void theLocalPlatformGrantsLeastPrivilegeAndKeepsItsFilesToItsOwner() throws Exception {
        String h = home.toString();
        Run producerToEgress = runWithInput("sneaky\n", "produce", "--topic", "orders", "--home", h);
        assertThat(producerToEgress.exit()).isEqualTo(1);
        assertThat(producerToEgress.err()).contains("Not authorized").contains("orders");
        Run consumerOfIngress = run("consume", "--topic", "orders.ingress", "--from-beginning", "--max-records", "1", "--home", h);
        assertThat(consumerOfIngress.exit()).isEqualTo(1);
        assertThat(consumerOfIngress.err()).contains("Not authorized").contains("orders.ingress");
        Home layout = new Home(home);
        for (Path folder : java.util.List.of(layout.root(), layout.kafka(), layout.kafka().resolve("data"), layout.clients(),
                layout.kmsKeyStore().getParent(), layout.ca())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).as(folder.toString()).isEqualTo("rwx------");
        }
    }

    @Test
    void everyClientTheCommandBuildsGoesThroughTheTlsPolicy() throws Exception {
        Path unsafe = dir.resolve("unsafe.properties");
        java.util.Properties settings = new java.util.Properties();
        try (var in = Files.newInputStream(new Home(home).clientProperties(LocalPlatform.ADMIN))) {
            settings.load(in);
        }
        settings.setProperty("security.providers", "com.example.TrustEverythingProviderCreator");
        try (var out = Files.newOutputStream(unsafe)) {
            settings.store(out, null);
        }
        Path policies = dir.resolve("same-policies.yaml");
        Files.copy(new Home(home).policies(), policies, StandardCopyOption.REPLACE_EXISTING);
        String config = unsafe.toString();
        for (String[] command : new String[][] {
            {"quarantine", "list", "--config", config}, {"audit", "tail", "--config", config},
            {"trace", "0af7651916cd43dd8448eb211c80319c", "--config", config}, {"policy", "show", "--config", config},
            {"policy", "apply", policies.toString(), "--config", config}, {"produce", "--topic", "orders.ingress", "--config", config},
            {"consume", "--topic", "orders", "--max-records", "1", "--config", config}}) {
            Run refused = runWithInput("x\n", command);
            assertThat(refused.exit()).as(String.join(" ", command) + ": " + refused.out() + refused.err()).isEqualTo(1);
            assertThat(refused.err()).as(String.join(" ", command)).contains("security.providers").contains("whole JVM");
        }
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

        // The request's own subject and names are kept; a weak key is refused with the reason, nothing signed.
        Path named = dir.resolve("ledger.csr");
        Files.writeString(named, CertificateSigningRequest.create(KeyAlgorithm.EC_P256.generateKeyPair(),
                new javax.security.auth.x500.X500Principal("CN=ledger,OU=Finance,O=Example"), List.of("ledger.internal"), List.of("10.0.0.9"),
                List.of()).toPem());
        Run kept = run("certs", "sign-csr", named.toString(), "--ca", ca.toString());
        assertThat(kept.exit()).as(kept.err()).isZero();
        assertThat(kept.out()).contains("Signed CN=ledger,OU=Finance,O=Example (DNS [ledger.internal], IP [10.0.0.9])");
        java.security.KeyPairGenerator rsa = java.security.KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        Path weak = dir.resolve("weak.csr");
        Files.writeString(weak, CertificateSigningRequest.create(rsa.generateKeyPair(), "weak").toPem());
        Run refused = run("certs", "sign-csr", weak.toString(), "--ca", ca.toString());
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("1024-bit RSA key").contains("at least 2048");
        assertThat(dir.resolve("weak.crt")).doesNotExist();
    }

    @Test
    void onlyThePlatformWritesItsOwnTopicsWhateverAWildcardGrantAllows() throws Exception {
        Map<String, Object> admin = platform.clientSettings(LocalPlatform.ADMIN);
        Topics.ensure(admin, "wide.ingress");
        try (Admin acls = Admin.create(admin)) {
            acls.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, "*", PatternType.LITERAL),
                    new AccessControlEntry("User:wide-writer", "*", AclOperation.WRITE, AclPermissionType.ALLOW)))).all().get();
        }
        Map<String, Object> writer = platform.kafka().clientProperties("wide-writer");
        writer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<String, String> forger = new KafkaProducer<>(writer, new StringSerializer(), new StringSerializer())) {
            forger.send(new ProducerRecord<>("wide.ingress", "k", "the grant works")).get(20, TimeUnit.SECONDS);
            for (String topic : LocalPlatform.PLATFORM_TOPICS) {
                assertThatThrownBy(() -> forger.send(new ProducerRecord<>(topic, "127.0.0.1", "forged")).get(20, TimeUnit.SECONDS))
                        .as(topic).hasCauseInstanceOf(TopicAuthorizationException.class);
            }
        }
    }

    @Test
    void quarantineReplayTakesAPartitionAndReplaysOnlyTheGatesOwnCopies() throws Exception {
        Map<String, Object> admin = platform.clientSettings(LocalPlatform.ADMIN);
        Map<String, Object> producer = platform.clientSettings(LocalPlatform.PRODUCER);
        try (KafkaProducer<String, String> legacy = new KafkaProducer<>(TlsConfig.secureClientConfigs(producer), new StringSerializer(),
                new StringSerializer())) {
            legacy.send(new ProducerRecord<>(LocalPlatform.DEMO_INGRESS, "cli-plain", "{\"plain\":true}")).get(30, TimeUnit.SECONDS);
        }
        QuarantinedRecord genuine = await().atMost(Duration.ofSeconds(60)).until(() -> QuarantineTopic.read(admin, QuarantineTopic.DEFAULT_NAME,
                q -> q.record().key() != null && new String(q.record().key(), StandardCharsets.UTF_8).equals("cli-plain")), l -> !l.isEmpty()).get(0);
        long forged;
        try (KafkaProducer<byte[], byte[]> writer = new KafkaProducer<>(admin, new ByteArraySerializer(), new ByteArraySerializer())) {
            forged = writer.send(new ProducerRecord<>(QuarantineTopic.DEFAULT_NAME, null, (byte[]) null, "injected".getBytes(StandardCharsets.UTF_8),
                    QuarantineHeaders.withReason(new RecordHeaders(), new QuarantineReason("p", "envelope", "NOT_ENCRYPTED", "x", LocalPlatform.DEMO_EGRESS, 0, 0, 1L))))
                    .get().offset();
        }
        String partition = Integer.toString(genuine.record().partition());
        Run refused = run("quarantine", "replay", "--partition", "0", "--offset", Long.toString(forged), "--home", home.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).contains("Refused quarantine 0@" + forged + ": '" + LocalPlatform.DEMO_EGRESS + "' is not an ingress topic the gate reads");

        Run shown = run("quarantine", "show", "--partition", partition, "--offset", Long.toString(genuine.record().offset()), "--home", home.toString());
        assertThat(shown.out()).contains("reason:    NOT_ENCRYPTED").contains("from:      " + LocalPlatform.DEMO_INGRESS + " partition 0");
        Run replayed = run("quarantine", "replay", "--partition", partition, "--offset", Long.toString(genuine.record().offset()),
                "--home", home.toString());
        assertThat(replayed.exit()).as(replayed.out() + replayed.err()).isZero();
        assertThat(replayed.out()).contains("Replayed quarantine " + partition + "@" + genuine.record().offset() + " to " + LocalPlatform.DEMO_INGRESS);
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
