/**
 * The Ciphertrail policy service: {@link io.ciphertrail.policy.PolicyService} starts it from its settings
 * ({@link io.ciphertrail.policy.PolicyServiceConfig}), prepares its topics, builds the Kafka Streams topology
 * (the gate and the insecure-client monitor) and serves health and metrics.
 */
package io.ciphertrail.policy;
