/**
 * The service's metrics, exposed with the Prometheus Java client on {@code /metrics}: the gate's and the monitor's
 * counters ({@link io.ciphertrail.policy.metrics.ServiceMetrics}), and the Kafka Streams and client metrics beside them
 * ({@link io.ciphertrail.policy.metrics.KafkaStreamsMetrics}, {@link io.ciphertrail.policy.metrics.TransactionCounts}).
 * Labels carry policy names, rule names, reason codes, topics, partitions and thread names, never record content or
 * settings.
 */
package io.ciphertrail.policy.metrics;
