/**
 * Writes that cannot fail for a reason known in advance. Under exactly-once one failed send aborts the
 * whole transaction, so the gate checks before it sends: {@link io.ciphertrail.policy.delivery.TopicCatalog}
 * (a refreshed view of which topics exist, how large a record each accepts, whether the service may write
 * to it), {@link io.ciphertrail.policy.delivery.RecordSize} (a record's size as the producer and broker
 * count it) and {@link io.ciphertrail.policy.delivery.ProducerLimits}. What fails anyway is retried with
 * back-off and reported by {@link io.ciphertrail.policy.delivery.WriteFailures}; no record is skipped.
 */
package io.ciphertrail.policy.delivery;
