package io.ciphertrail.cli;

import io.ciphertrail.consumer.FailedRecord;
import io.ciphertrail.consumer.RecordDecryptionException;
import io.ciphertrail.consumer.SecureConsumer;
import io.ciphertrail.consumer.SecureShareConsumer;
import io.ciphertrail.consumer.Traced;
import io.ciphertrail.core.envelope.Envelope;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import io.ciphertrail.core.identity.WorkloadIdentities;
import io.ciphertrail.core.identity.WorkloadIdentity;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.embedded.BrokerSettings;
import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.policy.quarantine.QuarantineTopic;
import io.ciphertrail.policy.quarantine.QuarantinedRecord;
import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.producer.SecureProducerConfig;
import io.ciphertrail.producer.SecureSerializer;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.Decision;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The whole platform in under a minute: starts it, then shows each guarantee and checks it really
 * held. Exits 0 only when every step did what it claims.
 */
@Command(name = "demo",
        description = {
            "Starts the platform and shows, and checks, every part of it working:",
            "encrypted events through the policy gate with their trace IDs, a plaintext client refused and audited,",
            "an unencrypted event quarantined, a reader with broker access but no key grant refused by the key service",
            "and audited, encrypted jobs on a queue shared by two workers (each handled once, a tampered one rejected),",
            "a key rotated with old events still readable, and the broker's log segments free of the demo's plaintext.",
            "Exits 0 only if every check passed; files stay in the home.",
            "With --nodes 3 it all runs on a three-node cluster, every topic on three replicas."})
final class DemoCommand implements Callable<Integer> {
    private static final int EVENTS = 5;
    private static final String INGRESS = LocalPlatform.DEMO_INGRESS;
    private static final String EGRESS = LocalPlatform.DEMO_EGRESS;
    private static final String PAYMENTS = LocalPlatform.PAYMENTS;
    private static final String JOBS_INGRESS = "jobs.ingress";
    private static final String JOBS = "jobs";
    private static final int JOBS_COUNT = 6;
    private static final int WORKERS = 2;
    /** A log segment's file name: its base offset in 20 digits (a node's own log, node.log, is not one). */
    private static final Pattern SEGMENT = Pattern.compile("\\d{20}\\.log");

    @Spec
    CommandSpec spec;

    @Option(names = "--home", defaultValue = Home.DEFAULT, description = "Where keys, certificates and broker data live (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--nodes", defaultValue = "1",
            description = "Kafka nodes: 1 (in this process) or 3 (a cluster, each node in a process of its own) (default: ${DEFAULT-VALUE}).")
    int nodes;

    private PrintWriter out;
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final Map<String, String> results = new LinkedHashMap<>();
    private boolean failed;

    private LocalPlatform platform;
    private Map<String, Object> producer;
    private Map<String, Object> consumer;
    private final Map<String, String> sent = new LinkedHashMap<>();
    private final List<String> encryptedMarkers = new ArrayList<>();
    private String unencryptedMarker;

    /** One step of the story: it prints what it does and returns what it proved, or throws. */
    @FunctionalInterface
    private interface Step {
        String run() throws Exception;
    }

    @Override
    public Integer call() {
        UpCommand.requireNodes(spec, nodes);
        out = spec.commandLine().getOut();
        Instant started = Instant.now();
        out.println("Ciphertrail demo (run " + run + ")");
        out.println();
        step("Start the platform", this::start);
        if (platform != null) {
            try {
                step("Encrypted events through the policy gate, with trace IDs", this::encryptedThroughTheGate);
                step("Plaintext client refused and audited", this::plaintextRefused);
                step("Unencrypted event quarantined", this::unencryptedQuarantined);
                step("A reader without a key grant reads nothing", this::keyAccessDenied);
                step("Encrypted jobs on a queue shared by two workers", this::queueSharedByTwoWorkers);
                step("Key rotated, old events still readable", this::keyRotated);
                step("Short-lived certificates renewed while clients run", this::certificatesRenewed);
                step("No demo plaintext in the broker's log segments", this::segmentsScanned);
            } finally {
                out.println();
                out.println("Stopping the platform ...");
                out.flush();
                platform.close();
            }
        }
        out.println();
        out.println("Summary (" + Duration.between(started, Instant.now()).toSeconds() + " s):");
        int number = 1;
        for (Map.Entry<String, String> result : results.entrySet()) {
            out.printf("  %d. %-58s %s%n", number++, result.getKey(), result.getValue());
        }
        out.println();
        out.println((failed ? "Some checks FAILED." : "All checks passed.") + " Everything stays in " + new Home(home).root()
                + "; the demo stopped the platform: './ciphertrail up" + (nodes == 1 ? "" : " --nodes " + nodes) + new Home(home).argument()
                + "' starts it again, and the commands shown above work then.");
        out.flush();
        return failed ? 1 : 0;
    }

    private void step(String title, Step step) {
        out.println("== " + title);
        out.flush();
        long started = System.nanoTime();
        try {
            String proof = step.run();
            results.put(title, "ok     " + proof);
            out.printf("   ok (%.1f s): %s%n", (System.nanoTime() - started) / 1e9, proof);
        } catch (Exception | AssertionError e) {
            failed = true;
            results.put(title, "FAILED " + e.getMessage());
            out.printf("   FAILED (%.1f s): %s%n", (System.nanoTime() - started) / 1e9, e.getMessage());
        }
        out.println();
        out.flush();
    }

    private String start() {
        platform = LocalPlatform.start(new Home(home), nodes, LocalPlatform.DEFAULT_TLS_PORT, LocalPlatform.DEFAULT_PLAINTEXT_PORT,
                LocalPlatform.DEFAULT_HTTP_PORT, LocalPlatform.DEFAULT_KEYS_PORT);
        UpCommand.describe(platform, out);
        producer = settings(LocalPlatform.PRODUCER);
        producer.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, INGRESS + ":" + EGRESS);
        consumer = settings(LocalPlatform.CONSUMER);
        return (nodes == 1 ? "broker " : nodes + " nodes ") + platform.kafka().bootstrapServers() + " (TLS only"
                + (nodes == 1 ? "" : ", every topic on " + BrokerSettings.replicationFactor(nodes) + " replicas") + "), key service "
                + platform.keyServiceUrl() + ", policy service running";
    }

    private Map<String, Object> settings(String identity) {
        return platform.clientSettings(identity);
    }

    private String encryptedThroughTheGate() throws Exception {
        send(EVENTS, "order");
        Map<String, String> received = receive(sent.keySet().stream().toList());
        for (Map.Entry<String, String> entry : sent.entrySet()) {
            String got = received.get(entry.getKey());
            if (!entry.getValue().equals(got)) {
                throw new AssertionError("trace " + entry.getKey() + " arrived as '" + got + "' instead of '" + entry.getValue() + "'");
            }
            out.println("   trace " + entry.getKey() + "  ->  " + got);
        }
        out.println("   Follow one (once './ciphertrail up" + new Home(home).argument() + "' runs):  ./ciphertrail trace "
                + sent.keySet().iterator().next() + new Home(home).argument());
        return EVENTS + " sent to " + INGRESS + ", forwarded by the gate, decrypted from " + EGRESS + " with the same trace IDs";
    }

    /** Sends events through the secure producer; remembers their trace IDs, values and secret markers. */
    private void send(int count, String kind) throws Exception {
        try (SecureProducer<String, String> secure = new SecureProducer<>(producer, new StringSerializer(), new StringSerializer())) {
            for (int i = 1; i <= count; i++) {
                String marker = "card-4111-" + run + "-" + kind + "-" + i;
                String value = kind + " #" + i + " paid with " + marker;
                ProducerRecord<String, String> record = new ProducerRecord<>(INGRESS, kind + "-" + i, value);
                secure.send(record).get(30, TimeUnit.SECONDS);
                sent.put(SecureProducer.traceId(record).orElseThrow(), value);
                encryptedMarkers.add(marker);
            }
        }
    }

    /** Reads the egress topic through the secure consumer until every wanted trace ID arrived. */
    private Map<String, String> receive(List<String> traceIds) {
        Map<String, Object> settings = new HashMap<>(consumer);
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, "demo-" + run + "-" + UUID.randomUUID());
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, String> received = new HashMap<>();
        try (SecureConsumer<String, String> secure = new SecureConsumer<>(settings, new StringDeserializer(), new StringDeserializer())) {
            secure.subscribe(List.of(EGRESS));
            long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
            while (!received.keySet().containsAll(traceIds) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : secure.poll(Duration.ofMillis(300))) {
                    SecureConsumer.traceId(record).ifPresent(trace -> received.put(trace, record.value()));
                }
            }
        }
        if (!received.keySet().containsAll(traceIds)) {
            throw new AssertionError("only " + traceIds.stream().filter(received::containsKey).count() + " of " + traceIds.size()
                    + " events reached " + EGRESS + " within 45 s");
        }
        return received;
    }

    /**
     * A producer whose only identity is a certificate from the trust service (a one-time token, a key pair in memory)
     * sends, its certificate is renewed, and it sends again on new connections: no restart, no key file.
     */
    private String certificatesRenewed() throws Exception {
        Map<String, Object> shortLived = settings(LocalPlatform.PRODUCER);
        shortLived.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, INGRESS + ":" + EGRESS);
        List<String> traces = new ArrayList<>();
        try (SecureProducer<String, String> secure = new SecureProducer<>(shortLived, new StringSerializer(), new StringSerializer())) {
            WorkloadIdentity identity = WorkloadIdentities.find(shortLived).orElseThrow();
            String first = identity.current().orElseThrow().serialHex();
            traces.add(sendOne(secure, "before the renewal"));
            String renewed = identity.renewNow().serialHex();
            out.println("   demo-producer: certificate " + abbreviated(first) + " -> " + abbreviated(renewed) + " (key pair made in memory,"
                    + " valid " + LocalPlatform.CERTIFICATE_LIFETIME.toHours() + " h, renewed at half life)");
            traces.add(sendOne(secure, "after the renewal"));
        }
        receive(traces);
        return "producer renewed without a restart or a key file, events before and after delivered";
    }

    private String sendOne(SecureProducer<String, String> secure, String value) throws Exception {
        ProducerRecord<String, String> record = new ProducerRecord<>(INGRESS, "renewal", "order sent " + value);
        secure.send(record).get(30, TimeUnit.SECONDS);
        return SecureProducer.traceId(record).orElseThrow();
    }

    private static String abbreviated(String serial) {
        return serial.length() <= 12 ? serial : serial.substring(0, 12) + "...";
    }

    private String plaintextRefused() throws Exception {
        Instant since = Instant.now().minusSeconds(1);
        Map<String, Object> plaintext = new HashMap<>(platform.kafka().plaintextClientProperties());
        plaintext.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        plaintext.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        plaintext.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        String refusal;
        try (KafkaProducer<String, String> insecure = new KafkaProducer<>(plaintext, new StringSerializer(), new StringSerializer())) {
            insecure.send(new ProducerRecord<>(INGRESS, "sent in clear")).get(15, TimeUnit.SECONDS);
            throw new AssertionError("the broker accepted a record over PLAINTEXT");
        } catch (ExecutionException e) {
            refusal = e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage();
        } catch (org.apache.kafka.common.KafkaException e) {
            refusal = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        out.println("   plaintext producer on " + platform.kafka().plaintextBootstrapServers().orElseThrow() + " got " + refusal);

        List<AuditEvent> denials = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (denials.isEmpty() && System.nanoTime() < deadline) {
            AuditReader.readAll(settings(LocalPlatform.ADMIN), PolicyServiceConfig.DEFAULT_AUDIT_TOPIC, null, event -> {
                if (event.getAuthorization() != null && event.getTime().isAfter(since)
                        && "PLAINTEXT".equals(event.getAuthorization().getSecurityProtocol())
                        && event.getAuthorization().getDecision() == Decision.DENIED) {
                    denials.add(event);
                }
            });
            if (denials.isEmpty()) {
                Thread.sleep(1_000);
            }
        }
        if (denials.isEmpty()) {
            throw new AssertionError("no audit event for the refused plaintext client within 20 s");
        }
        out.println("   audit: " + AuditLines.line(denials.get(0)));
        return "refused by the broker (" + refusal.substring(0, refusal.indexOf(':')) + "), "
                + denials.stream().mapToLong(e -> e.getAuthorization().getCount()).sum() + " requests audited as "
                + denials.get(0).getEventType();
    }

    private String unencryptedQuarantined() throws Exception {
        unencryptedMarker = "unencrypted-" + run;
        String key = "legacy-" + run;
        Map<String, Object> plain = settings(LocalPlatform.PRODUCER);
        // Ciphertrail's engine factory presents the producer's short-lived certificate; the records skip encryption.
        try (KafkaProducer<String, String> legacy = new KafkaProducer<>(TlsConfig.secureClientConfigs(plain), new StringSerializer(),
                new StringSerializer())) {
            legacy.send(new ProducerRecord<>(INGRESS, key, "{\"note\":\"" + unencryptedMarker + "\"}")).get(30, TimeUnit.SECONDS);
        }
        out.println("   a TLS client that skips encryption sent one record to " + INGRESS);
        Optional<QuarantinedRecord> found = Optional.empty();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (found.isEmpty() && System.nanoTime() < deadline) {
            found = QuarantineTopic.read(settings(LocalPlatform.ADMIN), QuarantineTopic.DEFAULT_NAME,
                    q -> q.record().key() != null && Arrays.equals(q.record().key(), key.getBytes(StandardCharsets.UTF_8))).stream().findFirst();
            if (found.isEmpty()) {
                Thread.sleep(500);
            }
        }
        QuarantinedRecord record = found.orElseThrow(() -> new AssertionError("the unencrypted record did not reach quarantine within 30 s"));
        if (!"NOT_ENCRYPTED".equals(record.reason().code())) {
            throw new AssertionError("quarantined for " + record.reason().code() + " instead of NOT_ENCRYPTED");
        }
        out.println("   quarantine offset " + record.record().offset() + ": " + record.reason().code() + " (rule " + record.reason().rule()
                + ") from " + record.reason().sourceTopic() + "-" + record.reason().sourcePartition() + "@" + record.reason().sourceOffset());
        out.println("   " + record.reason().detail());
        out.println("   Show it (once './ciphertrail up" + new Home(home).argument() + "' runs):  ./ciphertrail quarantine show --partition "
                + record.record().partition() + " --offset " + record.record().offset() + new Home(home).argument());
        return "NOT_ENCRYPTED, kept byte for byte at " + QuarantineTopic.DEFAULT_NAME + "@" + record.record().offset();
    }

    /**
     * A payment written by the producer (which may ENCRYPT it), then fetched by a reader whose ACL lets the
     * broker hand it the record but whom the key policy grants no key: it stops at that record's offset with
     * KMS_ACCESS_DENIED, sees no plaintext, and the key service's audit trail has the denial.
     */
    private String keyAccessDenied() throws Exception {
        Instant since = Instant.now().minusSeconds(1);
        String marker = "card-4111-" + run + "-payment";
        long offset;
        try (SecureProducer<String, String> secure = new SecureProducer<>(settings(LocalPlatform.PRODUCER), new StringSerializer(),
                new StringSerializer())) {
            offset = secure.send(new ProducerRecord<>(PAYMENTS, "payment-1", "payment paid with " + marker)).get(30, TimeUnit.SECONDS).offset();
        }
        encryptedMarkers.add(marker);
        out.println("   " + LocalPlatform.PRODUCER + " wrote an encrypted payment to " + PAYMENTS + "-0@" + offset);
        Map<String, Object> reader = new HashMap<>(settings(LocalPlatform.READER));
        reader.put(ConsumerConfig.GROUP_ID_CONFIG, "demo-reader-" + run);
        TopicPartition partition = new TopicPartition(PAYMENTS, 0);
        RecordDecryptionException denied = null;
        List<String> leaked = new ArrayList<>();
        try (SecureConsumer<String, String> secure = new SecureConsumer<>(reader, new StringDeserializer(), new StringDeserializer())) {
            secure.assign(List.of(partition));
            secure.seek(partition, offset);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (denied == null && System.nanoTime() < deadline) {
                try {
                    secure.poll(Duration.ofMillis(300)).forEach(record -> leaked.add(record.value()));
                } catch (RecordDecryptionException e) {
                    denied = e;
                }
            }
        }
        if (!leaked.isEmpty() || denied == null) {
            throw new AssertionError(leaked.isEmpty() ? "the reader was not refused within 30 s" : "the reader got plaintext: " + leaked);
        }
        if (!"KMS_ACCESS_DENIED".equals(denied.reason()) || denied.offset() != offset || denied.getMessage().contains(marker)) {
            throw new AssertionError("expected KMS_ACCESS_DENIED at " + PAYMENTS + "-0@" + offset + ", got " + denied.getMessage());
        }
        out.println("   " + LocalPlatform.READER + " (broker ACL: READ " + PAYMENTS + "; key policy: nothing) got:");
        out.println("   " + denied.getMessage());

        String alias = "ciphertrail/topic/" + PAYMENTS;
        List<AuditEvent> denials = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (denials.isEmpty() && System.nanoTime() < deadline) {
            AuditReader.readAll(settings(LocalPlatform.ADMIN), PolicyServiceConfig.DEFAULT_AUDIT_TOPIC, alias.getBytes(StandardCharsets.UTF_8),
                    event -> {
                        if (event.getKeyUse() != null && event.getEventType() == AuditEventType.KEY_USE_DENIED
                                && event.getKeyUse().getPrincipal().equals("User:" + LocalPlatform.READER)
                                && event.getKeyUse().getAlias().equals(alias) && event.getTime().isAfter(since)) {
                            denials.add(event);
                        }
                    });
            if (denials.isEmpty()) {
                Thread.sleep(1_000);
            }
        }
        if (denials.isEmpty()) {
            throw new AssertionError("no KEY_USE_DENIED audit event for " + LocalPlatform.READER + " within 20 s");
        }
        out.println("   audit: " + AuditLines.line(denials.get(0)));
        return "KMS_ACCESS_DENIED at " + PAYMENTS + "-0@" + offset + ", no plaintext, audited as KEY_USE_DENIED";
    }

    /**
     * A share group (queue) of two workers on the egress topic of a gated route. The gate forwards a
     * tampered job (it cannot check ciphertext without the key); the worker that gets it rejects it.
     */
    private String queueSharedByTwoWorkers() throws Exception {
        LocalPlatform.openRoute(settings(LocalPlatform.ADMIN), JOBS_INGRESS, JOBS);
        LocalPlatform.ensureKek(settings(LocalPlatform.ADMIN), JOBS);
        String group = "demo-workers-" + run;
        ShareGroups.startAtCurrentEnd(settings(LocalPlatform.ADMIN), group, JOBS);
        Map<String, Integer> handledBy = new ConcurrentHashMap<>();
        List<String> handledTwice = new CopyOnWriteArrayList<>();
        List<FailedRecord> setAside = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        List<Future<?>> workers = new ArrayList<>();
        for (int id = 1; id <= WORKERS; id++) {
            int worker = id;
            workers.add(pool.submit(() -> work(worker, group, stop, handledBy, handledTwice, setAside)));
        }
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (ShareGroups.membersAssigned(settings(LocalPlatform.ADMIN), group, JOBS) < WORKERS && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            out.println("   " + WORKERS + " workers in share group " + group + " on " + JOBS + ", fed by the gate from " + JOBS_INGRESS
                    + "; sending " + JOBS_COUNT + " jobs and a tampered copy of one");
            Map<String, String> jobs = sendJobs();
            String tampered = sendTamperedJob();
            deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
            while (!(handledBy.keySet().containsAll(jobs.keySet()) && setAside.stream().anyMatch(f -> f.traceId().orElse("").equals(tampered)))
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            stop.set(true);
            for (Future<?> worker : workers) {
                worker.get(30, TimeUnit.SECONDS);
            }
            if (!handledBy.keySet().containsAll(jobs.keySet())) {
                throw new AssertionError("only " + jobs.keySet().stream().filter(handledBy::containsKey).count() + " of " + JOBS_COUNT
                        + " jobs were handled within 45 s");
            }
            if (!handledTwice.isEmpty()) {
                throw new AssertionError("jobs handled twice: " + handledTwice);
            }
            FailedRecord rejected = setAside.stream().filter(f -> f.traceId().orElse("").equals(tampered)).findFirst()
                    .orElseThrow(() -> new AssertionError("the tampered job was not reported within 45 s"));
            if (!rejected.reason().equals("TAMPERED") || rejected.outcome() != FailedRecord.Outcome.REJECTED) {
                throw new AssertionError("the tampered job was " + rejected.outcome() + " for " + rejected.reason() + " instead of REJECTED for TAMPERED");
            }
            if (handledBy.containsKey(tampered)) {
                throw new AssertionError("a worker was handed the tampered job");
            }
            String split = IntStream.rangeClosed(1, WORKERS)
                    .mapToObj(w -> Long.toString(handledBy.values().stream().filter(v -> v == w).count()))
                    .collect(Collectors.joining("/"));
            out.println("   " + rejected);
            out.println("   Follow it (once './ciphertrail up" + new Home(home).argument() + "' runs):  ./ciphertrail trace " + tampered + new Home(home).argument());
            return JOBS_COUNT + " jobs split " + split + " between " + WORKERS + " workers, each handled once; the tampered one rejected ("
                    + rejected.reason() + ") at " + rejected.topic() + "-" + rejected.partition() + "@" + rejected.offset();
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    /** One worker: takes a job at a time, "works" on it briefly, and says which job it handled. */
    private void work(int worker, String group, AtomicBoolean stop, Map<String, Integer> handledBy, List<String> handledTwice,
                      List<FailedRecord> setAside) {
        Map<String, Object> settings = new HashMap<>(consumer);
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        settings.put(ConsumerConfig.CLIENT_ID_CONFIG, "demo-worker-" + worker);
        settings.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
        settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        try (SecureShareConsumer<String, String> queue = new SecureShareConsumer<>(settings, new StringDeserializer(), new StringDeserializer())) {
            queue.setFailureListener(setAside::add);
            queue.subscribe(List.of(JOBS));
            while (!stop.get()) {
                for (ConsumerRecord<String, String> job : queue.poll(Duration.ofMillis(200))) {
                    Traced.handle(job, record -> {
                        String trace = SecureShareConsumer.traceId(record).orElse("-");
                        if (handledBy.putIfAbsent(trace, worker) != null) {
                            handledTwice.add(trace);
                        }
                        synchronized (out) {
                            out.println("   worker " + worker + "  " + record.key() + "  trace " + trace
                                    + "  delivery " + record.deliveryCount().orElse((short) 1));
                        }
                    });
                    Thread.sleep(150);
                }
            }
            queue.commitSync();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Jobs through the gate, encrypted for the queue topic; returns trace ID to job. */
    private Map<String, String> sendJobs() throws Exception {
        Map<String, Object> settings = new HashMap<>(producer);
        settings.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, JOBS_INGRESS + ":" + JOBS);
        Map<String, String> jobs = new LinkedHashMap<>();
        try (SecureProducer<String, String> secure = new SecureProducer<>(settings, new StringSerializer(), new StringSerializer())) {
            for (int i = 1; i <= JOBS_COUNT; i++) {
                String marker = "card-4111-" + run + "-job-" + i;
                ProducerRecord<String, String> job = new ProducerRecord<>(JOBS_INGRESS, "job-" + i, "job #" + i + " paid with " + marker);
                secure.send(job).get(30, TimeUnit.SECONDS);
                jobs.put(SecureProducer.traceId(job).orElseThrow(), job.value());
                encryptedMarkers.add(marker);
            }
        }
        return jobs;
    }

    /**
     * A job encrypted like the others whose last byte (part of the authentication tag) is then flipped,
     * as a rogue writer or a damaged disk would: it stays a well-formed envelope for the right topic and
     * trace, so the gate forwards it; only a holder of the key can tell. Returns its trace ID.
     */
    private String sendTamperedJob() throws Exception {
        Map<String, Object> settings = new HashMap<>(producer);
        settings.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, JOBS_INGRESS + ":" + JOBS);
        String marker = "card-4111-" + run + "-job-tampered";
        RecordHeaders headers = new RecordHeaders();
        byte[] envelope;
        try (SecureSerializer<String> serializer = new SecureSerializer<>(new StringSerializer())) {
            serializer.configure(settings, false);
            envelope = serializer.serialize(JOBS_INGRESS, headers, "job #" + (JOBS_COUNT + 1) + " paid with " + marker);
        }
        envelope[envelope.length - 1] ^= 0x01;
        encryptedMarkers.add(marker);
        try (KafkaProducer<byte[], byte[]> rogue = new KafkaProducer<>(TlsConfig.secureClientConfigs(producer), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            rogue.send(new ProducerRecord<>(JOBS_INGRESS, null, "job-tampered".getBytes(StandardCharsets.UTF_8), envelope, headers))
                    .get(30, TimeUnit.SECONDS);
        }
        return EnvelopeDecryptor.traceId(headers, envelope).orElseThrow();
    }

    private String keyRotated() throws Exception {
        String alias = "ciphertrail/topic/" + EGRESS;
        KekRef rotated;
        try (KmsAdmin admin = KmsConfig.admin(settings(LocalPlatform.ADMIN))) {
            rotated = admin.rotate(alias);
        }
        out.println("   rotated " + alias + " to version " + rotated.version());
        List<String> before = List.copyOf(sent.keySet());
        send(EVENTS, "after-rotation");
        List<String> all = List.copyOf(sent.keySet());
        Map<String, String> received = receive(all);
        Map<String, Integer> versions = envelopeVersions(all);
        long old = before.stream().filter(t -> versions.getOrDefault(t, 0) < rotated.version()).count();
        long fresh = all.stream().filter(t -> !before.contains(t) && versions.getOrDefault(t, 0) == rotated.version()).count();
        if (old != before.size() || fresh != EVENTS) {
            throw new AssertionError("expected " + before.size() + " events under older KEK versions and " + EVENTS
                    + " under v" + rotated.version() + ", found " + old + " and " + fresh);
        }
        if (!all.stream().allMatch(t -> sent.get(t).equals(received.get(t)))) {
            throw new AssertionError("not every event decrypted to what was sent");
        }
        return before.size() + " events under the old version and " + EVENTS + " under v" + rotated.version() + " all decrypted";
    }

    /** The KEK version in each event's envelope, read from the egress topic without decrypting. */
    private Map<String, Integer> envelopeVersions(List<String> traceIds) {
        Map<String, Object> settings = TlsConfig.secureClientConfigs(settings(LocalPlatform.ADMIN));
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, "demo-raw-" + run + "-" + UUID.randomUUID());
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, Integer> versions = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> raw = new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            raw.subscribe(List.of(EGRESS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!versions.keySet().containsAll(traceIds) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : raw.poll(Duration.ofMillis(300))) {
                    if (Envelope.hasMagic(record.value())) {
                        Envelope envelope = Envelope.parse(record.value(), EGRESS);
                        envelope.binding().boundTraceId().ifPresent(trace -> versions.put(trace, envelope.binding().kekVersion()));
                    }
                }
            }
        }
        return versions;
    }

    private String segmentsScanned() throws IOException {
        List<Path> segments;
        try (Stream<Path> files = Files.walk(platform.kafka().directory())) {
            segments = files.filter(f -> SEGMENT.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f)).toList();
        }
        int encryptedHits = 0;
        int unencryptedHits = 0;
        for (Path segment : segments) {
            String bytes = new String(Files.readAllBytes(segment), StandardCharsets.ISO_8859_1);
            for (String marker : encryptedMarkers) {
                if (bytes.contains(marker)) {
                    encryptedHits++;
                    out.println("   FOUND " + marker + " in " + segment);
                }
            }
            if (unencryptedMarker != null && bytes.contains(unencryptedMarker)) {
                unencryptedHits++;
            }
        }
        out.println("   scanned " + segments.size() + " segment files under " + platform.kafka().directory());
        out.println("   the " + encryptedMarkers.size() + " encrypted events' card numbers: " + encryptedHits + " hits");
        out.println("   the unencrypted event's text (the control, sent in clear on purpose): " + unencryptedHits + " hits");
        if (encryptedHits > 0) {
            throw new AssertionError(encryptedHits + " plaintext hits in the broker's segments");
        }
        if (unencryptedMarker != null && unencryptedHits == 0) {
            throw new AssertionError("the scan did not even find the unencrypted control record; it proves nothing");
        }
        return segments.size() + " segments scanned: 0 hits for " + encryptedMarkers.size()
                + " encrypted events (the unencrypted control is found, so the scan works)";
    }
}
