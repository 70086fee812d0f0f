package io.ciphertrail.bench.e2e;

import java.util.Arrays;
import java.util.List;

/** What the clients go through. Every scenario uses the same broker, record size and durability settings. */
enum Scenario {
    PLAINTEXT("plaintext", "plain", "PLAINTEXT listener, plain Kafka clients: no TLS, no encryption (reference only)"),
    TLS("tls", "tls", "mutual TLS, plain Kafka clients, no payload encryption: the baseline every ratio uses"),
    ENVELOPE("tls+envelope", "env", "mutual TLS, SecureProducer and SecureConsumer: envelope encryption in the clients"),
    GATE("tls+envelope+gate", "gate", "as tls+envelope, but the producer writes to <topic>.ingress and the consumer"
            + " reads <topic> after the policy service (exactly-once, default commit interval) forwarded the records"),
    KROXYLICIOUS("tls+kroxylicious", "krox", "plain Kafka clients over mutual TLS to a Kroxylicious proxy whose"
            + " record-encryption filter encrypts for the same broker (the peer)"),
    GATE_LOW_RATE("tls+envelope+gate[rate=gate/2]", "gate-low", "as tls+envelope+gate (same service instance),"
            + " at half the gate's own maximum instead of half the tls maximum (latency only)"),
    GATE_FAST("tls+envelope+gate[rate=gate/2,commit=10ms]", "gatefast", "as tls+envelope+gate[rate=gate/2], through a"
            + " second service instance with Kafka Streams commit.interval.ms=10 instead of the exactly-once default 100 ms"
            + " (latency only)"),
    GATE_X2("tls+envelope+gate×2", "gate2", "as tls+envelope+gate, through two instances of one policy service (each its own"
            + " JVM, one stream thread each) that divide an ingress topic of two partitions between them"),
    GATE_FULL_TRAIL("tls+envelope+gate[trail=full]", "gatefull", "as tls+envelope+gate, with the full per-record trail"
            + " (ciphertrail.trail.full: a RECORD_FORWARDED audit event per forwarded record instead of a compact index entry)");

    final String label;
    final String slug;
    final String description;

    Scenario(String label, String slug, String description) {
        this.label = label;
        this.slug = slug;
        this.description = description;
    }

    boolean encrypted() {
        return this == ENVELOPE || gated();
    }

    boolean gated() {
        return this == GATE || this == GATE_LOW_RATE || this == GATE_FAST || this == GATE_X2 || this == GATE_FULL_TRAIL;
    }

    /** How many instances of its policy service a gate scenario runs; its ingress topics have as many partitions. */
    int instances() {
        return this == GATE_X2 ? 2 : 1;
    }

    /** The policy service instance a gated scenario goes through; its ingress pattern is {@code <slug>-.+\.ingress}. */
    Scenario service() {
        return this == GATE_LOW_RATE ? GATE : this;
    }

    /** Maximum throughput is measured for every scenario but the two extra gate latency rows. */
    boolean measuresThroughput() {
        return this != GATE_LOW_RATE && this != GATE_FAST;
    }

    /** Latency is measured at half the gate's maximum rather than half the tls maximum. */
    boolean atGateRate() {
        return this == GATE_LOW_RATE || this == GATE_FAST;
    }

    static Scenario of(String label) {
        return Arrays.stream(values()).filter(s -> s.label.equals(label) || s.slug.equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No scenario '" + label + "'; known: "
                        + Arrays.stream(values()).map(s -> s.label).toList()));
    }

    /** {@code list} rotated left by {@code by}: each round starts with another scenario. */
    static <T> List<T> rotate(List<T> list, int by) {
        if (list.isEmpty()) {
            return list;
        }
        int shift = Math.floorMod(by, list.size());
        List<T> rotated = new java.util.ArrayList<>(list.subList(shift, list.size()));
        rotated.addAll(list.subList(0, shift));
        return rotated;
    }
}
