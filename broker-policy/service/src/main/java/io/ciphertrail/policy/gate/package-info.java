/**
 * The gate: the checks a record must pass without keys ({@link io.ciphertrail.policy.gate.Gate}), where it
 * then goes and whether it can get there ({@link io.ciphertrail.policy.gate.Destinations}), the processor that
 * writes it, its audit trail, and Kafka Streams' exception handlers.
 */
package io.ciphertrail.policy.gate;
