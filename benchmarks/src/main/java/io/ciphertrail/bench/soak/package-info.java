/**
 * {@code benchmarks/soak}: minutes of steady secure traffic through the policy gate on a three-node
 * TLS-only cluster, with a fault every minute (a leader killed, a rolling restart, a gate instance killed,
 * a certificate renewed, a node isolated), then the counts (acknowledged, consumed, lost, duplicated,
 * quarantined), the worst end-to-end latency around each fault, and a per-second chart.
 */
package io.ciphertrail.bench.soak;
