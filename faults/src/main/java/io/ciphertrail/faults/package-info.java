/**
 * Breaking a cluster on purpose and counting what that cost: numbered secure traffic
 * ({@link io.ciphertrail.faults.NumberedProducer}, {@link io.ciphertrail.faults.LiveConsumer}), the
 * ledger that turns acknowledgements and deliveries into exact counts of lost and duplicated records
 * ({@link io.ciphertrail.faults.DeliveryLedger}), whole-topic reads ({@link io.ciphertrail.faults.TopicContents}),
 * and the policy service as a process of its own that can be killed ({@link io.ciphertrail.faults.PolicyServiceProcess}).
 * The fault tests of this module and {@code benchmarks/soak} use it on a
 * {@link io.ciphertrail.embedded.MultiNodeSecureKafka}.
 */
package io.ciphertrail.faults;
