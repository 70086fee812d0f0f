package io.ciphertrail.bench.e2e;

import io.ciphertrail.bench.report.Stats;
import io.ciphertrail.core.envelope.CryptoListener;
import io.ciphertrail.core.envelope.EnvelopeCrypto;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import io.ciphertrail.core.envelope.EnvelopeEncryptor;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.core.kms.remote.RemoteKmsProvider;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.TlsFiles;
import io.ciphertrail.core.trace.TraceContext;
import io.ciphertrail.embedded.BrokerSettings;
import io.ciphertrail.trust.TrustService;
import io.ciphertrail.trust.TrustServiceConfig;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * What the key service costs a client: data keys generated and unwrapped per second (1 and 4 callers,
 * latency percentiles), and a consumer's cold start with 100 distinct data keys, against the same with
 * the {@code local} provider (no network). The service runs in a JVM of its own (512 MiB heap) over a
 * local key store backend, on loopback with mutual TLS; the clients in this JVM.
 *
 * <pre>
 * ./mvnw -B -pl benchmarks -am package -DskipTests
 * java -cp "benchmarks/target/classes:benchmarks/target/lib/*" io.ciphertrail.bench.e2e.KeyServiceBench [seconds per measurement]
 * </pre>
 */
public final class KeyServiceBench {
    private static final Pattern LISTENING = Pattern.compile("Trust service listening on https://[^:]+:(\\d+)");
    private static final String ALIAS = "ciphertrail/topic/bench";
    private static final int COLD_START_KEYS = 100;
    private static final int COLD_START_ROUNDS = 7;

    private KeyServiceBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path work = Files.createTempDirectory("ciphertrail-keybench");
        CertificateAuthority ca = CertificateAuthority.create("Bench CA");
        TlsFiles server = TlsFiles.write(dir(work, "server"), ca.issue(CertificateSpec.broker("key-service").dnsNames("localhost")
                .ipAddresses("127.0.0.1")), List.of(ca.certificate()));
        TlsFiles client = TlsFiles.write(dir(work, "bench"), ca.issueWorkload("bench"), List.of(ca.certificate()));
        TlsFiles admin = TlsFiles.write(dir(work, "admin"), ca.issueWorkload("key-admin"), List.of(ca.certificate()));
        Files.writeString(work.resolve("key-policy.yaml"), "rules:\n"
                + "  - {name: bench, principals: [User:bench], keys: [\"*\"], operations: [ENCRYPT, DECRYPT]}\n"
                + "  - {name: admin, principals: [User:key-admin], keys: [\"*\"], operations: [ADMIN]}\n");
        Map<String, Object> backend = localKms(dir(work, "kms"));

        Map<String, Object> settings = new HashMap<>(server.kafkaSslProperties());
        settings.putAll(backend);
        settings.put(TrustServiceConfig.PORT_CONFIG, 0);
        settings.put(TrustServiceConfig.MANAGEMENT_PORT_CONFIG, -1);
        settings.put(TrustServiceConfig.KEY_POLICY_FILE_CONFIG, work.resolve("key-policy.yaml").toString());
        settings.put(TrustServiceConfig.PRINCIPAL_MAPPING_RULES_CONFIG, BrokerSettings.PRINCIPAL_MAPPING_RULES);
        settings.put(TrustServiceConfig.RATE_LIMIT_PER_SECOND_CONFIG, 1_000_000L);
        settings.put(TrustServiceConfig.RATE_LIMIT_BURST_CONFIG, 1_000_000L);
        Path properties = work.resolve("trust.properties");
        Properties props = new Properties();
        settings.forEach((key, value) -> props.setProperty(key, String.valueOf(value)));
        try (Writer writer = Files.newBufferedWriter(properties)) {
            props.store(writer, null);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        try (ChildProcess service = ChildProcess.start("key-service", List.of(java, "-Xms512m", "-Xmx512m", "-XX:+UseG1GC",
                "-cp", System.getProperty("java.class.path"), io.ciphertrail.trust.Main.class.getName(), properties.toString()),
                work.resolve("key-service.log"), line -> LISTENING.matcher(line).find())) {
            Matcher matcher = LISTENING.matcher(service.awaitReady(Duration.ofSeconds(60)));
            matcher.find();
            String url = "https://localhost:" + matcher.group(1);
            Map<String, Object> remote = remote(client, url);
            try (KmsAdmin keys = KmsConfig.admin(remote(admin, url))) {
                keys.create(ALIAS);
            }
            System.out.printf("Key service benchmark: %d s per measurement, %s%n%n", seconds, Instant.now());
            System.out.println("| measurement | callers | ops/s | p50 ms | p99 ms |");
            System.out.println("|---|---|---|---|---|");
            try (Kms kms = KmsConfig.kms(remote)) {
                KekRef kek = kms.resolveAlias(ALIAS).toCompletableFuture().join();
                List<Edek> edeks = new ArrayList<>();
                for (int i = 0; i < 1_000; i++) {
                    edeks.add(kms.generateDek(kek).toCompletableFuture().join().edek());
                }
                for (int callers : new int[] {1, 4}) {
                    rate("generate data key", callers, seconds, i -> kms.generateDek(kek).toCompletableFuture().join());
                    rate("unwrap data key", callers, seconds, i -> kms.unwrap(edeks.get(i % edeks.size())).toCompletableFuture().join());
                }
            }
            System.out.println();
            Map<String, Object> local = localKms(dir(work, "local-kms"));
            try (KmsAdmin keys = KmsConfig.admin(local)) {
                keys.create(ALIAS);
            }
            System.out.println("| consumer cold start, " + COLD_START_KEYS + " distinct data keys | median ms | min ms | max ms | ms per key |");
            System.out.println("|---|---|---|---|---|");
            coldStart("remote (key service)", remote);
            coldStart("local (key store file, no network)", local);
            System.out.printf("%nKey service CPU: %.1f s over the run; log: %s%n", Cpu.seconds(service.pid()), work.resolve("key-service.log"));
        }
    }

    interface Operation {
        void run(int i);
    }

    private static void rate(String name, int callers, int seconds, Operation operation) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        List<Future<List<Long>>> results = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            results.add(threads.submit(() -> {
                List<Long> latencies = new ArrayList<>();
                for (int i = 0; !stop.get(); i++) {
                    long start = System.nanoTime();
                    operation.run(i);
                    if (measuring.get()) {
                        latencies.add(System.nanoTime() - start);
                    }
                }
                return latencies;
            }));
        }
        Thread.sleep(Math.max(2_000, seconds * 300L));
        measuring.set(true);
        long start = System.nanoTime();
        Thread.sleep(seconds * 1_000L);
        measuring.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        List<Long> all = new ArrayList<>();
        for (Future<List<Long>> result : results) {
            all.addAll(result.get());
        }
        threads.shutdown();
        long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("| %s | %d | %.0f | %.2f | %.2f |%n", name, callers, sorted.length / elapsed,
                Stats.percentile(sorted, 50) / 1e6, Stats.percentile(sorted, 99) / 1e6);
    }

    /** A fresh consumer process's view: a new KMS client and cache, then 100 records each under its own data key. */
    private static void coldStart(String name, Map<String, Object> kms) {
        Map<String, Object> producer = new HashMap<>(kms);
        producer.put("ciphertrail.envelope.dek.max.encryptions", 1L);
        String topic = "bench";
        List<byte[]> envelopes = new ArrayList<>();
        List<Headers> headers = new ArrayList<>();
        try (EnvelopeCrypto crypto = EnvelopeCrypto.create(producer, CryptoListener.NONE)) {
            EnvelopeEncryptor encryptor = crypto.encryptor();
            for (int i = 0; i < COLD_START_KEYS; i++) {
                Headers h = new RecordHeaders();
                TraceContext.newTrace().writeTo(h);
                headers.add(h);
                envelopes.add(encryptor.encrypt(topic, h, ("record " + i).getBytes(StandardCharsets.UTF_8)));
            }
        }
        List<Double> millis = new ArrayList<>();
        for (int round = 0; round < COLD_START_ROUNDS; round++) {
            long start = System.nanoTime();
            try (EnvelopeCrypto crypto = EnvelopeCrypto.create(kms, CryptoListener.NONE)) {
                EnvelopeDecryptor decryptor = crypto.decryptor();
                for (int i = 0; i < envelopes.size(); i++) {
                    decryptor.decrypt(topic, headers.get(i), envelopes.get(i));
                }
            }
            millis.add((System.nanoTime() - start) / 1e6);
        }
        double median = Stats.median(millis);
        System.out.printf("| %s | %.0f | %.0f | %.0f | %.2f |%n", name, median, Stats.min(millis), Stats.max(millis), median / COLD_START_KEYS);
    }

    private static Map<String, Object> remote(TlsFiles identity, String url) {
        Map<String, Object> settings = new HashMap<>(identity.kafkaSslProperties());
        settings.put(KmsConfig.TYPE_CONFIG, "remote");
        settings.put(RemoteKmsProvider.URLS_CONFIG, url);
        return settings;
    }

    private static Map<String, Object> localKms(Path dir) {
        Path password = dir.resolve("password");
        SecureFiles.writeOwnerOnly(password, "bench-password".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> settings = new HashMap<>();
        settings.put(KmsConfig.TYPE_CONFIG, "local");
        settings.put(LocalKmsProvider.KEYSTORE_PATH_CONFIG, dir.resolve("keks.p12").toString());
        settings.put(LocalKmsProvider.PASSWORD_FILE_CONFIG, password.toString());
        KmsConfig.initialize(settings);
        return settings;
    }

    private static Path dir(Path parent, String name) throws IOException {
        return Files.createDirectories(parent.resolve(name));
    }
}
