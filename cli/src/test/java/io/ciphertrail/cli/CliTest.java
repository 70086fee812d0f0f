package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.pki.CertificateSigningRequest;
import io.ciphertrail.core.pki.KeyAlgorithm;
import io.ciphertrail.core.pki.Pem;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.policy.delivery.WriteFailures;
import io.ciphertrail.policy.quarantine.QuarantineHeaders;
import io.ciphertrail.policy.quarantine.QuarantineReason;
import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.quarantine.QuarantinedRecord;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
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
import org.apache.kafka.common.serialization.StringDeserializer;
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
        return runWithBytes(input.getBytes(StandardCharsets.UTF_8), args);
    }

    /** Short, so the broker renews its certificate every 10 s or so while every test here runs. */
    static final Duration BROKER_CERTIFICATE_LIFETIME = Duration.ofSeconds(20);

    @BeforeAll
    static void startPlatform() {
        home = dir.resolve("home");
        platform = LocalPlatform.start(new Home(home), 1, 0, 0, 0, 0, BROKER_CERTIFICATE_LIFETIME);
    }

    @AfterAll
    static void stopPlatform() {
        platform.close();
    }

    @Test
    void theBrokerRenewsItsShortLivedCertificateWhileAProducerAndAConsumerRun() throws Exception {
        BrokerCertificateRenewer renewer = platform.brokerCertificates().orElseThrow();
        EmbeddedSecureKafka kafka = (EmbeddedSecureKafka) platform.kafka();
        assertThat(renewer.lifetime()).isEqualTo(BROKER_CERTIFICATE_LIFETIME);
        String topic = "broker-renewal";
        kafka.createTopics(1, topic);
        Map<String, Object> settings = kafka.clientProperties(LocalPlatform.ADMIN);
        long renewalsBefore = renewer.renewals();
        Set<String> presented = new LinkedHashSet<>();
        List<String> sent = new ArrayList<>();
        List<String> received = new ArrayList<>();
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        Map<String, Object> consumerSettings = new java.util.HashMap<>(settings);
        consumerSettings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer());
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerSettings, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            int n = 0;
            while (renewer.renewals() < renewalsBefore + 2 && System.nanoTime() < deadline) {
                String value = "record-" + n++;
                producer.send(new ProducerRecord<>(topic, value), (metadata, error) -> {
                    if (error != null) {
                        failures.add(value + ": " + error);
                    }
                });
                sent.add(value);
                consumer.poll(Duration.ofMillis(200)).forEach(record -> received.add(record.value()));
                // What a new connection gets now; a new producer on a new connection must accept it.
                presented.add(kafka.presentedCertificate().getSerialNumber().toString(16));
                if (n % 20 == 0) {
                    try (KafkaProducer<String, String> fresh = new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer())) {
                        String probe = "record-" + n++;
                        fresh.send(new ProducerRecord<>(topic, probe)).get(30, TimeUnit.SECONDS);
                        sent.add(probe);
                    }
                }
            }
            producer.flush();
            assertThat(renewer.renewals()).as("renewals of a 20 s certificate within 90 s").isGreaterThanOrEqualTo(renewalsBefore + 2);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> received.add(record.value()));
                return received.size() >= sent.size();
            });
        }
        assertThat(failures).as("sends that failed").isEmpty();
        assertThat(received).as("every record, once").containsExactlyInAnyOrderElementsOf(sent);
        presented.add(kafka.presentedCertificate().getSerialNumber().toString(16));
        assertThat(presented).as("serials new connections got").hasSizeGreaterThanOrEqualTo(2)
                .contains(renewer.current().serialHex());
        assertThat(captureDescription()).contains("Broker certificate:    serial ").contains("from the workload CA, valid until ")
                .contains("renewed at about half life without a restart");
    }

    private static String captureDescription() {
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            UpCommand.describe(platform, out);
        }
        return text.toString();
    }

    @Test
    void producedLinesArriveThroughTheGateAndTheirTraceShowsTheWholePath() {
        assertThat(run("keys", "create", "--topic", "shipments", "--home", home.toString()).exit()).isZero();
        Run produce = runWithInput("first order\nsecond order\n", "produce", "--topic", "shipments.ingress", "--print-trace", "--home", home.toString());
        assertThat(produce.exit()).as(produce.err()).isZero();
        assertThat(produce.err()).contains("Acknowledged 2 of 2 records sent to shipments.ingress (encrypted for shipments)");
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
        // Another cluster's settings: a topic that does not exist is named at once, not after the metadata timeout.
        Run nowhere = runWithInput("lost\n", "produce", "--topic", "nowhere.ingress", "--config",
                home.resolve("clients").resolve(LocalPlatform.ADMIN + ".properties").toString());
        assertThat(nowhere.exit()).isEqualTo(1);
        assertThat(nowhere.err()).contains("ciphertrail produce: Topic 'nowhere.ingress' does not exist");

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
        assertThat(nowhere.err()).contains("Start the platform first ('ciphertrail up --home " + dir.resolve("nowhere")
                + "' or 'ciphertrail demo --home " + dir.resolve("nowhere") + "')").startsWith("ciphertrail consume: ");

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
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("add --yes to confirm");
        assertThat(run("keys", "shred", "--topic", "ledger", "--version", "1", "--yes", "--home", home.toString()).exit()).isZero();
        assertThat(run("keys", "list", "--home", home.toString()).out())
                .containsPattern("ciphertrail/topic/ledger\\s+1\\s+DESTROYED").containsPattern("ciphertrail/topic/ledger\\s+2\\s+ACTIVE");
        assertThat(run("keys", "shred", "--topic", "ledger", "--all-versions", "--yes", "--home", home.toString()).exit()).isZero();
        Run shredded = runWithInput("after the shred\n", "produce", "--topic", "ledger.ingress", "--home", home.toString());
        assertThat(shredded.exit()).isEqualTo(1);
        assertThat(shredded.err()).contains("KEK_DESTROYED").doesNotContain("KMS_UNAVAILABLE");
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
        assertThat(produce.err()).contains("UNKNOWN_KEK").contains("ciphertrail keys create ciphertrail/topic/parcels")
                // The error stopped the sending: the summary still says where to resend from.
                .contains("Acknowledged 0 of 1 records sent to parcels.ingress").contains("first line not acknowledged: 1");
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
            legacy.send(new ProducerRecord<>(LocalPlatform.DEMO_INGRESS, "cli-plain", "{\"plain\":true}\u001b]0;owned\u0007\u202e")).get(30, TimeUnit.SECONDS);
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
        Run content = run("quarantine", "show", "--partition", partition, "--offset", Long.toString(genuine.record().offset()), "--show-value",
                "--home", home.toString());
        // Control characters would act on the terminal (here: retitle it, or reverse the text after it): escaped instead.
        assertThat(content.out()).contains("content:   {\"plain\":true}\\e]0;owned\\x07\\u202e").doesNotContain("\u001b").doesNotContain("\u0007")
                .doesNotContain("\u202e");
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

    @Test
    void withThePlatformDownCommandsFailWithinSecondsNamingTheBrokersAndTheHome() throws Exception {
        Home stopped = new Home(dir.resolve("stopped home"));
        Files.createDirectories(stopped.clients());
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        for (String identity : List.of(LocalPlatform.ADMIN, LocalPlatform.CONSUMER)) {
            java.util.Properties settings = new java.util.Properties();
            try (var in = Files.newInputStream(new Home(home).clientProperties(identity))) {
                settings.load(in);
            }
            settings.setProperty("bootstrap.servers", "127.0.0.1:" + port);
            try (var out = Files.newOutputStream(stopped.clientProperties(identity))) {
                settings.store(out, null);
            }
        }
        long started = System.nanoTime();
        for (String[] command : new String[][] {{"policy", "show"}, {"consume", "--topic", "orders"}, {"audit", "tail"},
            {"quarantine", "list"}, {"trace", "0af7651916cd43dd8448eb211c80319c"}}) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(command), java.util.stream.Stream.of("--home", stopped.root().toString()))
                    .toArray(String[]::new);
            Run down = run(args);
            assertThat(down.exit()).as(String.join(" ", command)).isEqualTo(1);
            assertThat(down.err()).as(String.join(" ", command))
                    .startsWith("ciphertrail " + String.join(" ", java.util.Arrays.copyOf(command, command[0].equals("consume") || command[0].equals("trace") ? 1 : 2)) + ": ")
                    .contains("Cannot reach the brokers at 127.0.0.1:" + port + ": 127.0.0.1:" + port + " (connection refused)")
                    .contains("Start it with 'ciphertrail up --home \"" + stopped.root() + "\"'").doesNotContain("\tat ");
        }
        // Kafka clients alone wait a minute per command for metadata.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60));
    }

    @Test
    void everyCommandHasHelpAndWrongUsageExitsTwoNamingTheWholeCommand() {
        List<List<String>> commands = new java.util.ArrayList<>();
        collect(Ciphertrail.commandLine(), List.of(), commands);
        assertThat(commands).contains(List.of("keys", "shred"), List.of("quarantine", "replay"), List.of("certs", "sign-csr"));
        for (List<String> command : commands) {
            String[] args = java.util.stream.Stream.concat(command.stream(), java.util.stream.Stream.of("--help")).toArray(String[]::new);
            Run help = run(args);
            assertThat(help.exit()).as(String.join(" ", command)).isZero();
            assertThat(help.out()).as(String.join(" ", command)).contains("Usage: ciphertrail " + String.join(" ", command));
        }
        String h = home.toString();
        Map<String[], String> wrong = new java.util.LinkedHashMap<>();
        wrong.put(new String[] {"keys", "shred", "--topic", "x", "--version", "1"}, "ciphertrail keys shred: Shredding the KEK of topic 'x' v1");
        wrong.put(new String[] {"keys", "shred", "--topic", "x", "--yes"}, "ciphertrail keys shred: Say what to destroy");
        wrong.put(new String[] {"quarantine", "replay", "--home", h}, "ciphertrail quarantine replay: Choose records with");
        wrong.put(new String[] {"trace", "not-a-trace", "--home", h}, "ciphertrail trace: A trace ID is 32 lower-case hex digits");
        wrong.put(new String[] {"quarantine", "list", "--reason", "NOT_ENCRYPTD", "--home", h},
                "ciphertrail quarantine list: 'NOT_ENCRYPTD' is not a quarantine reason; the reasons are");
        wrong.put(new String[] {"audit", "tail", "-n", "-1", "--home", h}, "ciphertrail audit tail: -n takes a number of events");
        wrong.put(new String[] {"produce", "--topic", "x", "--format", "utf16", "--home", h}, "ciphertrail produce: --format takes text, base64 or hex");
        wrong.put(new String[] {"keys", "list", "--bogus"}, "ciphertrail keys list: Unknown option: '--bogus'");
        wrong.forEach((args, message) -> {
            Run usage = run(args);
            assertThat(usage.exit()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(usage.err()).as(String.join(" ", args)).startsWith(message).contains("--help'.").doesNotContain("\tat ");
        });
        assertThat(run("quarantine", "list", "--reason", "NOT_ENCRYPTD", "--home", h).err()).contains("NOT_ENCRYPTED").contains("TAMPERED");
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
        command.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                List<String> at = new java.util.ArrayList<>(path);
                at.add(name);
                into.add(at);
                collect(sub, at, into);
            }
        });
    }

    @Test
    void auditTailShowsTheNewestEventsOfTheWholeTrailNotPerPartition() throws Exception {
        Map<String, Object> admin = platform.clientSettings(LocalPlatform.ADMIN);
        try (Admin topics = Admin.create(admin)) {
            // An audit topic of three partitions, and an empty trail topic beside it (the gate's real trail is newer).
            topics.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("audit.wide", 3, (short) 1),
                    new org.apache.kafka.clients.admin.NewTopic("trail.empty", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        java.time.Instant start = java.time.Instant.parse("2026-01-01T10:00:00Z");
        try (KafkaProducer<byte[], byte[]> writer = new KafkaProducer<>(admin, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 9; i++) {
                var event = io.ciphertrail.schemas.audit.AuditEvent.newBuilder().setId("e" + i).setSource("test").setType("test")
                        .setTime(start.plusSeconds(i)).setEventType(io.ciphertrail.schemas.audit.AuditEventType.RECORD_ACCEPTED)
                        .setRecord(io.ciphertrail.schemas.audit.RecordInfo.newBuilder().setTraceId(String.format("%032x", i)).setPolicy("p")
                                .setSourceTopic("t.ingress").setSourcePartition(0).setSourceOffset(i).build())
                        .build();
                writer.send(new ProducerRecord<>("audit.wide", i % 3, null, io.ciphertrail.policy.audit.AuditCodec.encode(event))).get(30, TimeUnit.SECONDS);
            }
        }
        Run tail = run("audit", "tail", "-n", "2", "--audit-topic", "audit.wide", "--trail-topic", "trail.empty", "--home", home.toString());
        assertThat(tail.exit()).as(tail.err()).isZero();
        assertThat(tail.out().lines().toList()).hasSize(2);
        assertThat(tail.out()).contains(String.format("trace=%032x", 7)).contains(String.format("trace=%032x", 8));
        assertThat(tail.out().indexOf(String.format("%032x", 7))).isLessThan(tail.out().indexOf(String.format("%032x", 8)));
    }


    static Run runWithBytes(byte[] input, String... args) {
        InputStream stdin = System.in;
        System.setIn(new ByteArrayInputStream(input));
        try {
            return runAlongside(args);
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void produceCountsWhatTheBrokersAcknowledgedAndNamesTheLineToResendFrom() {
        Run refused = runWithInput("one\ntwo\nthree\n", "produce", "--topic", "orders", "--home", home.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("Acknowledged 0 of").contains("first line not acknowledged: 1 (resend from there: tail -n +1 FILE)")
                .contains("ciphertrail produce: Sending to 'orders' failed").doesNotContain("\tat ");
    }

    @Test
    void produceSendsLinesExactlyAsGivenAndRefusesBytesThatAreNotText() {
        String h = home.toString();
        assertThat(run("keys", "create", "--topic", "blobs", "--home", h).exit()).isZero();
        byte[] invalid = {'f', 'i', 'n', 'e', '\n', 'b', 'a', 'd', ' ', (byte) 0xff, '\n', 'n', 'e', 'v', 'e', 'r', '\n'};
        Run refused = runWithBytes(invalid, "produce", "--topic", "blobs.ingress", "--home", h);
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("ciphertrail produce: line 2 is not UTF-8 text (byte 5 is 0xff); for binary values use --format base64")
                .contains("Acknowledged 1 of 1").contains("first line not acknowledged: 2");

        assertThat(runWithInput("aGVsbG8=\n", "produce", "--topic", "blobs.ingress", "--format", "base64", "--home", h).err())
                .contains("Acknowledged 1 of 1");
        assertThat(runWithInput("776f726c64\n", "produce", "--topic", "blobs.ingress", "--format", "hex", "--home", h).err())
                .contains("Acknowledged 1 of 1");
        Run badHex = runWithInput("77zz\n", "produce", "--topic", "blobs.ingress", "--format", "hex", "--home", h);
        assertThat(badHex.exit()).isEqualTo(1);
        assertThat(badHex.err()).contains("line 1 is not hex");
        Run crlf = runWithInput("carriage\rreturn\r\nlast", "produce", "--topic", "blobs.ingress", "--home", h);
        assertThat(crlf.err()).contains("Acknowledged 2 of 2");

        Run consumed = run("consume", "--topic", "blobs", "--from-beginning", "--max-records", "5", "--home", h);
        assertThat(consumed.exit()).as(consumed.err()).isZero();
        assertThat(consumed.out().split("\n")).containsExactlyInAnyOrder("fine", "hello", "world", "carriage\rreturn", "last");
    }

    @Test
    void produceStoppedBySigtermSaysWhatWasAcknowledgedAndWhereToContinue() throws Exception {
        String h = home.toString();
        assertThat(run("keys", "create", "--topic", "signals", "--home", h).exit()).isZero();
        Path stdout = dir.resolve("sigterm.out");
        Path stderr = dir.resolve("sigterm.err");
        Process produce = startCommand(stdout, stderr, "produce", "--topic", "signals.ingress", "--print-trace", "--home", h);
        try (var stdin = produce.getOutputStream()) {
            stdin.write("a\nb\nc\n".getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            awaitTraceIds(stdout, stderr, 3);
            terminate(produce);
            assertThat(produce.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            produce.destroyForcibly();
        }
        String err = Files.readString(stderr);
        assertThat(produce.exitValue()).as(err).isEqualTo(143);
        assertThat(err).containsOnlyOnce("Acknowledged ").contains("Acknowledged 3 of 3 records sent to signals.ingress")
                .contains("stopped by SIGTERM after line 3 (continue from line 4)");
    }

    @Test
    void produceStoppedAsItsInputEndsStillSaysWhatWasAcknowledged() throws Exception {
        String h = home.toString();
        assertThat(run("keys", "create", "--topic", "teardown", "--home", h).exit()).isZero();
        // Process.destroy() sends SIGTERM and closes the command's standard input at once, as a supervisor tearing down
        // a pipeline does: the command sees the end of input and the signal in either order. Each try is one such race.
        for (int attempt = 1; attempt <= 3; attempt++) {
            Path stdout = dir.resolve("torn-down-" + attempt + ".out");
            Path stderr = dir.resolve("torn-down-" + attempt + ".err");
            Process produce = startCommand(stdout, stderr, "produce", "--topic", "teardown.ingress", "--print-trace", "--home", h);
            try {
                OutputStream stdin = produce.getOutputStream();
                stdin.write("a\nb\nc\n".getBytes(StandardCharsets.UTF_8));
                stdin.flush();
                awaitTraceIds(stdout, stderr, 3);
                produce.destroy();
                assertThat(produce.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                produce.destroyForcibly();
            }
            String err = Files.readString(stderr);
            // One summary, and the status says what it says: stopped by the signal (143), or the input had ended (0).
            assertThat(err).as("try %d", attempt).containsOnlyOnce("Acknowledged ").contains("Acknowledged 3 of 3 records sent to teardown.ingress");
            if (produce.exitValue() == 143) {
                assertThat(err).as("try %d", attempt).contains("stopped by SIGTERM after line 3 (continue from line 4)");
            } else {
                assertThat(produce.exitValue()).as("try %d: %s", attempt, err).isZero();
                assertThat(err).as("try %d", attempt).doesNotContain("stopped by");
            }
        }
    }

    /** A command in a JVM of its own, so that it can be signalled; its output goes to the two files. */
    private static Process startCommand(Path stdout, Path stderr, String... args) throws java.io.IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Ciphertrail.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    }

    /** Waits for trace IDs on standard output, one per line sent (the test's logging may write other lines there). */
    private static void awaitTraceIds(Path stdout, Path stderr, int lines) throws java.io.IOException {
        awaitOutput(stdout, stderr, lines + " trace IDs", () -> Files.readAllLines(stdout).stream().filter(l -> l.matches("[0-9a-f]{32}")).count() >= lines);
    }

    /** Waits for a command's output to show something; a timeout shows all it wrote. */
    private static void awaitOutput(Path stdout, Path stderr, String what, java.util.concurrent.Callable<Boolean> shown) throws java.io.IOException {
        try {
            await().atMost(Duration.ofSeconds(90)).until(shown);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("No " + what + "; standard error: " + Files.readString(stderr) + "; standard output: " + Files.readString(stdout), e);
        }
    }

    /**
     * SIGTERM alone, as {@code kill} sends it. {@link Process#destroy()} would also close the command's standard input,
     * racing the signal with an end of input the command would see first or second.
     */
    private static void terminate(Process process) {
        process.toHandle().destroy();
    }

    @Test
    void aSecondStartOfARunningHomeIsRefusedAtOnceNamingTheProcessAndPortsAndTouchesNothing() throws Exception {
        Home layout = new Home(home);
        Path settings = layout.clientProperties(LocalPlatform.ADMIN);
        String before = Files.readString(settings);
        java.nio.file.attribute.FileTime modified = Files.getLastModifiedTime(settings);
        String tls = platform.kafka().bootstrapServers();
        assertThatThrownBy(() -> LocalPlatform.start(layout, 0, 0, 0)).hasMessageContaining("is already running")
                .hasMessageContaining("pid " + ProcessHandle.current().pid()).hasMessageContaining(tls)
                .hasMessageContaining(platform.keyServiceUrl()).hasMessageContaining("nothing was changed");
        Run up = run("up", "--home", home.toString(), "--port", "0", "--plaintext-port", "0", "--http-port", "0", "--keys-port", "0");
        assertThat(up.exit()).isEqualTo(1);
        assertThat(up.err()).contains("ciphertrail up: The platform in " + layout.root() + " is already running");
        assertThat(Files.readString(settings)).isEqualTo(before);
        assertThat(Files.getLastModifiedTime(settings)).isEqualTo(modified);
        assertThat(run("policy", "show", "--home", home.toString()).exit()).as("the running platform still answers").isZero();
    }

    @Test
    void policyApplyWarnsOfARouteToAMissingTopicAndOfALoop() throws Exception {
        Path routes = dir.resolve("routes.yaml");
        Files.writeString(routes, "policies:\n"
                + "  - {name: to-nowhere, from: lost.ingress, to: nowhere-topic, rules: {envelope: ENFORCE}}\n"
                + "  - {name: round, from: round.ingress, to: round2.ingress, rules: {envelope: ENFORCE}}\n");
        try {
            Run applied = run("policy", "apply", routes.toString(), "--home", home.toString());
            assertThat(applied.exit()).as(applied.err()).isZero();
            assertThat(applied.err()).contains("Warning: policy 'to-nowhere' routes lost.ingress to 'nowhere-topic', which does not exist")
                    .contains("Warning: policy 'round' routes round.ingress to 'round2.ingress', which the gate reads itself");
        } finally {
            assertThat(run("policy", "apply", new Home(home).policies().toString(), "--home", home.toString()).exit()).isZero();
        }
    }
}
