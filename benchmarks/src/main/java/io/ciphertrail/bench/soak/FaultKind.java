package io.ciphertrail.bench.soak;

/** The faults the soak draws from: those the fault tests prove one at a time. */
enum FaultKind {
    LEADER_KILLED("leader killed"),
    ROLLING_RESTART("rolling restart"),
    GATE_INSTANCE_KILLED("gate instance killed"),
    CERTIFICATE_RENEWED("certificate renewed"),
    NODE_ISOLATED("node isolated");

    private final String label;

    FaultKind(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }
}
