package io.ciphertrail.bench.soak;

import io.ciphertrail.embedded.BrokerSettings;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import io.ciphertrail.faults.GateTopics;
import io.ciphertrail.faults.Grants;
import io.ciphertrail.faults.LocalKeys;
import io.ciphertrail.faults.PolicyServiceProcess;
import io.ciphertrail.faults.SecureClientSettings;
import io.ciphertrail.producer.SecureProducerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * What the soak runs on: a three-node TLS-only cluster (the SecureTransportAuthorizer on every node, every
 * topic on three replicas), two instances of the policy gate, a local KMS, and the identities with only
 * the ACLs they need. The process ids of the gate instances are kept in {@code <work>/pids}, so that the
 * runner script can stop them even if this JVM dies before its shutdown hook runs (nodes halt by themselves).
 */
final class SoakPlatform implements AutoCloseable {
    static final GateTopics GATE = new GateTopics("soak");
    static final String PRODUCER = "soak-producer";
    static final String LEGACY = "soak-legacy";
    static final String CONSUMER = "soak-consumer";
    static final String SERVICE = "policy-service";
    static final int PARTITIONS = 4;
    static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private static final List<String> NODE_JAVA_OPTIONS = List.of("-Xms256m", "-Xmx768m", "-XX:+UseG1GC");
    private static final List<String> GATE_JAVA_OPTIONS = List.of("-Xms128m", "-Xmx512m", "-XX:+UseG1GC");

    private final Path work;
    private final Consumer<String> progress;
    private final MultiNodeSecureKafka kafka;
    private final LocalKeys keys;
    private final Path policies;
    private final PolicyServiceProcess[] gates = new PolicyServiceProcess[2];
    private int gateStarts;

    private SoakPlatform(Path work, Consumer<String> progress, MultiNodeSecureKafka kafka, LocalKeys keys, Path policies) {
        this.work = work;
        this.progress = progress;
        this.kafka = kafka;
        this.keys = keys;
        this.policies = policies;
    }

    static SoakPlatform start(Path work, Consumer<String> progress) {
        progress.accept("Starting three Kafka nodes (a JVM each) in " + work.resolve("cluster"));
        MultiNodeSecureKafka kafka = MultiNodeSecureKafka.builder()
                .nodes(3)
                .directory(work.resolve("cluster"))
                .authorizer(BrokerSettings.SECURE_TRANSPORT_AUTHORIZER)
                .superUsers("User:" + SERVICE)
                .javaOptions(NODE_JAVA_OPTIONS)
                .start();
        try {
            kafka.createTopics(PARTITIONS, GATE.ingress(), GATE.egress());
            LocalKeys keys = LocalKeys.create(work.resolve("kms"));
            keys.createKeks(GATE.egress());
            Grants.producer(kafka, PRODUCER, GATE.ingress());
            Grants.producer(kafka, LEGACY, GATE.ingress());
            SoakPlatform platform = new SoakPlatform(work, progress, kafka, keys, GATE.writePolicies(work.resolve("policies.yaml")));
            platform.startGate(0);
            platform.startGate(1);
            platform.awaitGates();
            Grants.consumer(kafka, CONSUMER, GATE.egress(), GATE.quarantine());
            progress.accept("Cluster " + kafka.bootstrapServers() + " and two gate instances ready");
            return platform;
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
    }

    /** Starts gate instance {@code slot} (0 or 1), replacing a dead one; does not wait for it. */
    void startGate(int slot) {
        String name = "gate-" + (++gateStarts);
        gates[slot] = PolicyServiceProcess.start(name, GATE.serviceSettings(kafka, SERVICE, policies, work.resolve("state").resolve(name)),
                work.resolve("logs"), GATE_JAVA_OPTIONS);
        writePids();
    }

    void awaitGates() {
        for (PolicyServiceProcess gate : gates) {
            gate.awaitRunning(READY_TIMEOUT);
        }
    }

    PolicyServiceProcess gate(int slot) {
        return gates[slot];
    }

    MultiNodeSecureKafka kafka() {
        return kafka;
    }

    /** Settings of the secure producer that writes to the gate's ingress, encrypting for its egress topic. */
    Map<String, Object> producerSettings() {
        Map<String, Object> settings = SecureClientSettings.producer(kafka, PRODUCER, keys);
        settings.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, GATE.ingress() + ":" + GATE.egress());
        return settings;
    }

    /** A TLS client that skips encryption: the gate quarantines what it sends. */
    Map<String, Object> legacySettings() {
        return kafka.clientProperties(LEGACY);
    }

    Map<String, Object> consumerSettings() {
        return SecureClientSettings.consumer(kafka, CONSUMER, keys);
    }

    private void writePids() {
        List<Long> pids = new ArrayList<>();
        for (PolicyServiceProcess gate : gates) {
            if (gate != null && gate.isAlive()) {
                pids.add(gate.pid());
            }
        }
        try {
            Files.writeString(work.resolve("pids"), pids.stream().map(String::valueOf).collect(Collectors.joining("\n", "", "\n")));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + work.resolve("pids") + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        progress.accept("Stopping the gate instances and the cluster");
        for (PolicyServiceProcess gate : gates) {
            if (gate != null) {
                gate.close();
            }
        }
        kafka.close();
    }
}
