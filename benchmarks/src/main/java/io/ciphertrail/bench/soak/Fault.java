package io.ciphertrail.bench.soak;

/**
 * One fault as it happened: what, to whom, and when it began and ended (epoch milliseconds; it ends
 * when the cluster and the gate are whole again).
 */
record Fault(FaultKind kind, String detail, long startMillis, long endMillis) {
}
