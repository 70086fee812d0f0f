package io.ciphertrail.bench.e2e;

import io.ciphertrail.core.io.PropertiesFiles;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.IssuedCertificate;
import io.ciphertrail.core.pki.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;

/**
 * The processes a run needs, each in a JVM of its own: the TLS-only broker (with an extra PLAINTEXT
 * listener for the reference scenario), the Kroxylicious proxy in front of it, and two policy service
 * instances (default and short commit interval). Also the topics and the keys: a local KMS key store
 * for Ciphertrail's clients and the proxy's in-memory KEKs, one per topic for both.
 */
final class Platform implements AutoCloseable {
    static final String BENCH_IDENTITY = "bench";
    static final String PROXY_IDENTITY = "kroxy";
    static final String SERVICE_IDENTITY = "policy-service";
    static final String ADMIN_IDENTITY = "ciphertrail-admin";

    private final Settings settings;
    private final Consumer<String> progress;
    private final List<ChildProcess> processes = new ArrayList<>();
    /** The instances of each gate scenario's policy service, and their HTTP ports, in the same order. */
    private final Map<Scenario, List<Integer>> serviceHttpPorts = new EnumMap<>(Scenario.class);
    private final Map<Scenario, List<ChildProcess>> services = new EnumMap<>(Scenario.class);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private ChildProcess broker;
    private ChildProcess proxy;
    private String tlsBootstrap;
    private String plaintextBootstrap;
    private String proxyBootstrap;
    private Map<String, Object> kms;
    private Admin admin;

    Platform(Settings settings, Consumer<String> progress) {
        this.settings = settings;
        this.progress = progress;
    }

    /** Starts everything for {@code plan}: egress topic names by scenario. */
    void start(Map<Scenario, List<String>> plan) {
        startBroker();
        admin = Admin.create(clientSettings(ADMIN_IDENTITY));
        createTopics(plan);
        createKeks(plan);
        boolean peer = plan.containsKey(Scenario.KROXYLICIOUS);
        if (peer) {
            startProxy(plan.get(Scenario.KROXYLICIOUS));
        }
        plan.keySet().stream().filter(Scenario::gated).map(Scenario::service).distinct().forEach(this::startService);
        if (peer) {
            String line = proxy.awaitReady(Duration.ofSeconds(90));
            progress.accept("Kroxylicious proxy ready: " + proxyBootstrap + " (" + line + ")");
        }
        for (Scenario gate : services.keySet()) {
            awaitServiceReady(gate);
        }
    }

    private void startBroker() {
        Path dir = settings.work().resolve("kafka");
        List<String> command = java(settings.classPath(), "-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent");
        command.addAll(List.of("io.ciphertrail.embedded.EmbeddedKafkaMain", "--dir", dir.toString(), "--plaintext",
                "--client", BENCH_IDENTITY, "--client", PROXY_IDENTITY, "--client", SERVICE_IDENTITY, "--client", ADMIN_IDENTITY,
                // deleted measurement topics leave the disk (and page cache) at once
                "--broker-property", "file.delete.delay.ms=1000"));
        progress.accept("Starting the broker (its own JVM) in " + dir);
        broker = track(ChildProcess.start("broker", command, settings.work().resolve("logs/broker.log"), l -> l.startsWith("READY ")));
        String ready = broker.awaitReady(Duration.ofSeconds(120));
        tlsBootstrap = ready.substring("READY ".length()).trim();
        for (String line : broker.lines()) {
            if (line.startsWith("LISTENER PLAINTEXT://")) {
                plaintextBootstrap = line.substring("LISTENER PLAINTEXT://".length()).trim();
            }
        }
        if (plaintextBootstrap == null) {
            throw new IllegalStateException("The broker printed no PLAINTEXT listener; see " + broker.log());
        }
        progress.accept("Broker ready: SSL " + tlsBootstrap + ", PLAINTEXT " + plaintextBootstrap);
    }

    private void createTopics(Map<Scenario, List<String>> plan) {
        List<NewTopic> topics = new ArrayList<>();
        plan.forEach((scenario, names) -> names.forEach(name -> {
            topics.add(new NewTopic(name, 1, (short) 1));
            if (scenario.gated()) {
                // the instances of one service divide the ingress partitions between them
                topics.add(new NewTopic(name + ".ingress", scenario.service().instances(), (short) 1));
            }
        }));
        try {
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
            // the gate subscribes by pattern; its topics must be known before it starts
            awaitTopics(topics.stream().map(NewTopic::name).toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Cannot create the benchmark topics: " + e.getMessage(), e);
        }
    }

    private void awaitTopics(List<String> names) throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                Map<String, TopicDescription> found = admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
                if (found.values().stream().allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null))) {
                    return;
                }
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(200);
        }
    }

    /** One KEK per topic the envelope scenarios encrypt for, in a local KMS key store under the work folder. */
    private void createKeks(Map<Scenario, List<String>> plan) {
        Path kmsDir = settings.work().resolve("kms");
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        Path password = kmsDir.resolve("password");
        SecureFiles.writeOwnerOnly(password, HexFormat.of().formatHex(secret).getBytes(StandardCharsets.US_ASCII));
        kms = new HashMap<>();
        kms.put(KmsConfig.TYPE_CONFIG, "local");
        kms.put(LocalKmsProvider.KEYSTORE_PATH_CONFIG, kmsDir.resolve("keks.p12").toString());
        kms.put(LocalKmsProvider.PASSWORD_FILE_CONFIG, password.toString());
        KmsConfig.initialize(kms);
        try (KmsAdmin keys = KmsConfig.admin(kms)) {
            plan.forEach((scenario, names) -> {
                if (scenario.encrypted()) {
                    names.forEach(name -> keys.create("ciphertrail/topic/" + name));
                }
            });
        }
    }

    private void startProxy(List<String> topics) {
        Path dir = settings.work().resolve("kroxylicious");
        Path kafkaDir = settings.work().resolve("kafka");
        // The proxy's server certificate comes from the broker's CA, so clients trust it as they trust the broker.
        CertificateAuthority ca = CertificateAuthority.load(kafkaDir.resolve("ca"));
        IssuedCertificate serverCert = ca.issue(CertificateSpec.broker("kroxylicious-proxy").dnsNames("localhost").ipAddresses("127.0.0.1"));
        Pem.write(dir, "proxy", serverCert);
        Pem.writeCertificates(dir.resolve("ca.crt"), List.of(ca.certificate()));
        Map<String, Object> upstream = PropertiesFiles.read(kafkaDir.resolve("clients").resolve(PROXY_IDENTITY + ".properties"));
        SecureFiles.writeOwnerOnly(dir.resolve("upstream-keystore.password"),
                upstream.get("ssl.keystore.password").toString().getBytes(StandardCharsets.UTF_8));
        SecureFiles.writeOwnerOnly(dir.resolve("upstream-truststore.password"),
                upstream.get("ssl.truststore.password").toString().getBytes(StandardCharsets.UTF_8));
        int port = consecutiveFreePorts();
        proxyBootstrap = "localhost:" + port;
        Path config = dir.resolve("proxy.yaml");
        SecureFiles.writeOwnerOnly(config, proxyConfig(dir, upstream, port, freePort(), topics).getBytes(StandardCharsets.UTF_8));
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xms1g", "-Xmx1g", "-XX:+UseG1GC",
                "-Dlog4j2.configurationFile=" + settings.peerDir().resolve("log4j2.properties"),
                "-Dlog4j2.shutdownHookEnabled=false",
                "-cp", settings.peerDir().resolve("target/classes") + ":" + settings.peerDir().resolve("target/lib") + "/*",
                "io.ciphertrail.bench.peer.KroxyliciousPeer", config.toString()));
        progress.accept("Starting the Kroxylicious proxy (its own JVM) on " + proxyBootstrap);
        proxy = track(ChildProcess.start("kroxylicious", command, settings.work().resolve("logs/kroxylicious.log"),
                l -> l.contains("KROXYLICIOUS READY")));
    }

    /**
     * The proxy's configuration: one virtual cluster with a port-per-broker gateway, mutual TLS on both
     * sides, and the record-encryption filter with the in-memory KMS holding one AES-256 KEK per topic.
     */
    private String proxyConfig(Path dir, Map<String, Object> upstream, int port, int managementPort, List<String> topics) {
        StringBuilder keks = new StringBuilder();
        SecureRandom random = new SecureRandom();
        for (String topic : topics) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            keks.append("          - uuid: \"").append(UUID.randomUUID()).append("\"\n")
                    .append("            alias: \"KEK_").append(topic).append("\"\n")
                    .append("            algorithm: \"AES\"\n")
                    .append("            key: \"").append(Base64.getEncoder().encodeToString(key)).append("\"\n");
        }
        return """
                management:
                  bindAddress: 127.0.0.1
                  port: %d
                virtualClusters:
                  - name: bench
                    targetCluster:
                      bootstrapServers: %s
                      tls:
                        key:
                          storeFile: %s
                          storePassword:
                            passwordFile: %s
                          storeType: PKCS12
                        trust:
                          storeFile: %s
                          storePassword:
                            passwordFile: %s
                          storeType: PKCS12
                        protocols:
                          allowed: [TLSv1.3, TLSv1.2]
                    gateways:
                      - name: tls
                        portIdentifiesNode:
                          bootstrapAddress: localhost:%d
                          nodeIdRanges:
                            - name: broker
                              start: 1
                              end: 1
                        tls:
                          key:
                            privateKeyFile: %s
                            certificateFile: %s
                          trust:
                            storeFile: %s
                            storeType: PEM
                            trustOptions:
                              clientAuth: REQUIRED
                          protocols:
                            allowed: [TLSv1.3, TLSv1.2]
                    logNetwork: false
                    logFrames: false
                filterDefinitions:
                  - name: encrypt
                    type: RecordEncryption
                    config:
                      kms: UnitTestingKmsService
                      kmsConfig:
                        numIvBytes: 12
                        numAuthBits: 128
                        existingKeks:
                %s
                      selector: TemplateKekSelector
                      selectorConfig:
                        template: "KEK_$(topicName)"
                      unresolvedKeyPolicy: REJECT
                defaultFilters:
                  - encrypt
                """.formatted(managementPort, tlsBootstrap,
                upstream.get("ssl.keystore.location"), dir.resolve("upstream-keystore.password"),
                upstream.get("ssl.truststore.location"), dir.resolve("upstream-truststore.password"),
                port, dir.resolve("proxy.key"), dir.resolve("proxy.crt"), dir.resolve("ca.crt"), keks.toString().stripTrailing());
    }

    private void startService(Scenario gate) {
        Path dir = settings.work().resolve("service-" + gate.slug);
        Map<String, Object> props = new HashMap<>(PropertiesFiles.read(
                settings.work().resolve("kafka/clients").resolve(SERVICE_IDENTITY + ".properties")));
        props.put("application.id", "bench-" + gate.slug);
        props.put("ciphertrail.gate.ingress.pattern", gate.slug + "-.+\\.ingress");
        props.put("ciphertrail.policies.topic", "bench-" + gate.slug + ".policies");
        props.put("ciphertrail.quarantine.topic", "bench-" + gate.slug + ".quarantine");
        props.put("ciphertrail.audit.topic", "bench-" + gate.slug + ".audit");
        props.put("ciphertrail.trail.topic", "bench-" + gate.slug + ".trail");
        props.put("ciphertrail.alerts.topic", "bench-" + gate.slug + ".alerts");
        if (gate == Scenario.GATE_FAST) {
            props.put("commit.interval.ms", "10");
        }
        if (gate == Scenario.GATE_FULL_TRAIL) {
            props.put("ciphertrail.trail.full", "true");
        }
        props.putAll(settings.serviceSettings());
        Path policies = dir.resolve("policies.yaml");
        writePublic(policies, """
                policies:
                  - name: bench-%s
                    fromPattern: "(%s-.+)\\\\.ingress"
                    to: "$1"
                """.formatted(gate.slug, gate.slug));
        props.put("ciphertrail.policies.file", policies.toString());
        List<ChildProcess> instances = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        for (int instance = 1; instance <= gate.instances(); instance++) {
            // one application: the instances share the group and divide the ingress partitions
            String name = "policy-service-" + gate.slug + (instance == 1 ? "" : "-" + instance);
            int httpPort = freePort();
            ports.add(httpPort);
            props.put("state.dir", dir.resolve("state-" + instance).toString());
            props.put("ciphertrail.http.port", String.valueOf(httpPort));
            Path file = dir.resolve("service-" + instance + ".properties");
            PropertiesFiles.writeOwnerOnly(file, "policy service for the " + gate.label + " scenario", props);
            List<String> command = java(settings.classPath(), "-Xms512m", "-Xmx512m", "-XX:+UseG1GC");
            command.addAll(List.of("io.ciphertrail.policy.PolicyService", file.toString()));
            progress.accept("Starting the policy service for " + gate.label + (gate.instances() > 1 ? " (instance " + instance + ")" : "")
                    + " (its own JVM)");
            instances.add(track(ChildProcess.start(name, command, settings.work().resolve("logs/" + name + ".log"), null)));
        }
        serviceHttpPorts.put(gate, ports);
        services.put(gate, instances);
    }

    private void awaitServiceReady(Scenario gate) {
        List<ChildProcess> instances = services.get(gate);
        for (int i = 0; i < instances.size(); i++) {
            awaitReady(gate, instances.get(i), serviceHttpPorts.get(gate).get(i));
        }
    }

    private void awaitReady(Scenario gate, ChildProcess service, int httpPort) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!service.isAlive()) {
                throw new IllegalStateException("The policy service for " + gate.label + " stopped; see " + service.log());
            }
            try {
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    progress.accept("Policy service for " + gate.label + " ready (" + service.name() + ")");
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(250);
        }
        throw new IllegalStateException("The policy service for " + gate.label + " was not ready within 120 s; see " + service.log());
    }

    /** Records the gate of {@code gate} has forwarded so far, over all its instances. */
    long forwarded(Scenario gate) {
        return counter(gate, "ciphertrail_gate_records_forwarded_total");
    }

    /** Records the gate of {@code gate} has checked so far, over all its instances. */
    long checked(Scenario gate) {
        return counter(gate, "ciphertrail_gate_records_checked_total");
    }

    /** Records the gate of {@code gate} has written to its trail topic so far (audit events and index entries). */
    long trailRecords(Scenario gate) {
        return counter(gate, "ciphertrail_gate_trail_records_total");
    }

    /** A Prometheus counter of the service of {@code gate}, summed over labels and instances. */
    private long counter(Scenario gate, String name) {
        long sum = 0;
        for (int port : serviceHttpPorts.get(gate.service())) {
            try {
                HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                sum += PrometheusText.sum(metrics.body(), name);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read the policy service's metrics: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return sum;
    }

    /** The mutual TLS client settings the broker issued for {@code identity}. */
    Map<String, Object> clientSettings(String identity) {
        return PropertiesFiles.read(settings.work().resolve("kafka/clients").resolve(identity + ".properties"));
    }

    String tlsBootstrap() {
        return tlsBootstrap;
    }

    String plaintextBootstrap() {
        return plaintextBootstrap;
    }

    String proxyBootstrap() {
        return proxyBootstrap;
    }

    Map<String, Object> kmsSettings() {
        return kms;
    }

    Admin admin() {
        return admin;
    }

    /** The JVMs that work for {@code scenario} besides the client JVM: the broker, and the proxy or the gate's service instances. */
    List<ChildProcess> serverJvms(Scenario scenario) {
        List<ChildProcess> jvms = new ArrayList<>();
        jvms.add(broker);
        if (scenario == Scenario.KROXYLICIOUS) {
            jvms.add(proxy);
        }
        if (scenario.gated()) {
            jvms.addAll(services.get(scenario.service()));
        }
        return jvms;
    }

    /** CPU seconds used so far by every JVM this platform started. */
    double allJvmsCpu() {
        double sum = 0;
        for (ChildProcess process : processes) {
            if (process.isAlive()) {
                sum += process.cpuSeconds();
            }
        }
        return sum;
    }

    /** Throws if a server JVM died, naming its log. */
    void checkAlive() {
        for (ChildProcess process : processes) {
            if (!process.isAlive()) {
                throw new IllegalStateException(process.name() + " stopped unexpectedly; see " + process.log());
            }
        }
    }

    /** Creates a one-partition topic and waits until the broker serves it. */
    void recreateTopic(String topic) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                awaitTopics(List.of(topic));
                return;
            } catch (ExecutionException e) {
                // a deleted topic of the same name may still be on its way out
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException) || System.nanoTime() > deadline) {
                    throw new IllegalStateException("Cannot create topic " + topic + ": " + e.getMessage(), e);
                }
                sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("Cannot create topic " + topic + ": timed out", e);
            }
        }
    }

    void deleteTopic(String topic) {
        try {
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            progress.accept("warning: could not delete topic " + topic + ": " + e.getMessage());
        }
    }

    private ChildProcess track(ChildProcess process) {
        processes.add(process);
        return process;
    }

    /** Stops the services and the proxy before the broker they talk to. */
    @Override
    public void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        List<ChildProcess> reversed = new ArrayList<>(processes);
        java.util.Collections.reverse(reversed);
        List<Thread> stopping = new ArrayList<>();
        for (ChildProcess process : reversed) {
            if (process != broker) {
                Thread thread = new Thread(process::close, "stop-" + process.name());
                thread.start();
                stopping.add(thread);
            }
        }
        for (Thread thread : stopping) {
            try {
                thread.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (broker != null) {
            broker.close();
        }
    }

    private List<String> java(String classPath, String... jvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(javaBinary());
        command.addAll(List.of(jvmOptions));
        command.add("-Djava.awt.headless=true");
        command.add("-Dlogback.configurationFile=" + settings.logbackConfig());
        command.add("-cp");
        command.add(classPath);
        return command;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void writePublic(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port: " + e.getMessage(), e);
        }
    }

    /** A port P with P+1 free too: the proxy's bootstrap port and the port of broker node 1. */
    private static int consecutiveFreePorts() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = freePort();
            if (port < 65535 && isFree(port + 1)) {
                return port;
            }
        }
        throw new IllegalStateException("No two consecutive free ports found for the proxy");
    }

    private static boolean isFree(int port) {
        // The proxy's gateway binds every interface, so check the wildcard address.
        try (ServerSocket socket = new ServerSocket(port)) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    /** Where and how the platform runs; {@code serviceSettings} are added to every policy service's settings. */
    record Settings(Path work, String classPath, Path peerDir, Path logbackConfig, Map<String, String> serviceSettings) {
    }
}
