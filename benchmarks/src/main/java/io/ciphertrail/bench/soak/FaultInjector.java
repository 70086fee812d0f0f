package io.ciphertrail.bench.soak;

import io.ciphertrail.embedded.ClusterNode;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import io.ciphertrail.faults.PolicyServiceProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Breaks the soak's platform in one of the {@link FaultKind} ways and puts it back together: a fault
 * ends when every node runs with every replica in sync and both gate instances run again.
 */
final class FaultInjector {
    /** How long a killed node stays dead, traffic going on without it. */
    static final Duration DOWN_FOR = Duration.ofSeconds(10);
    /** How long an isolated node stays frozen: three times the cluster's broker session timeout. */
    static final Duration FROZEN_FOR = Duration.ofSeconds(12);

    private final SoakPlatform platform;
    private final Random random;
    private final List<FaultKind> drawn = new ArrayList<>();

    FaultInjector(SoakPlatform platform, long seed) {
        this.platform = platform;
        this.random = new Random(seed);
    }

    /** The next fault: drawn without replacement from all kinds, so every kind comes up once in each round of five. */
    FaultKind next() {
        if (drawn.isEmpty()) {
            drawn.addAll(List.of(FaultKind.values()));
            Collections.shuffle(drawn, random);
        }
        return drawn.remove(0);
    }

    Fault inject(FaultKind kind) throws InterruptedException {
        long start = System.currentTimeMillis();
        MultiNodeSecureKafka kafka = platform.kafka();
        String detail = switch (kind) {
            case LEADER_KILLED -> outage(SoakPlatform.GATE.ingress(), ClusterNode::kill, DOWN_FOR, ClusterNode::start,
                    "killed with SIGKILL, restarted after");
            case ROLLING_RESTART -> {
                for (ClusterNode node : kafka.nodes()) {
                    node.restart();
                    kafka.awaitHealthy(SoakPlatform.READY_TIMEOUT);
                }
                yield "nodes " + kafka.nodes().stream().map(n -> String.valueOf(n.id())).collect(Collectors.joining(", "))
                        + " restarted one at a time, each once every replica was in sync";
            }
            case GATE_INSTANCE_KILLED -> {
                int slot = random.nextInt(2);
                PolicyServiceProcess killed = platform.gate(slot);
                killed.kill();
                platform.startGate(slot);
                platform.awaitGates();
                yield killed.name() + " killed with SIGKILL mid-transaction, " + platform.gate(slot).name() + " started in its place";
            }
            case CERTIFICATE_RENEWED -> {
                ClusterNode node = kafka.nodes().get(random.nextInt(kafka.nodes().size()));
                String serial = node.renewCertificate().getSerialNumber().toString(16);
                yield "node " + node.id() + " reloaded a renewed certificate (serial " + serial.substring(0, Math.min(12, serial.length())) + "...)";
            }
            case NODE_ISOLATED -> outage(SoakPlatform.GATE.egress(), ClusterNode::pause, FROZEN_FOR, ClusterNode::resume,
                    "frozen with SIGSTOP, let run on (SIGCONT) after");
        };
        return new Fault(kind, detail, start, System.currentTimeMillis());
    }

    /** Takes down the leader of a random partition of {@code topic} for {@code lasting}, then brings it back and waits until all is in sync. */
    private String outage(String topic, Consumer<ClusterNode> down, Duration lasting, Consumer<ClusterNode> up, String what)
            throws InterruptedException {
        int partition = random.nextInt(SoakPlatform.PARTITIONS);
        ClusterNode node = platform.kafka().leaderOf(topic, partition);
        down.accept(node);
        Thread.sleep(lasting.toMillis());
        up.accept(node);
        platform.kafka().awaitHealthy(SoakPlatform.READY_TIMEOUT);
        return "node " + node.id() + " (leader of " + topic + "-" + partition + ") " + what + " " + lasting.toSeconds() + " s";
    }
}
