/**
 * The consumer library: {@link io.ciphertrail.consumer.SecureConsumer} for ordered consumption,
 * {@link io.ciphertrail.consumer.SecureShareConsumer} for share groups (queues), and
 * {@link io.ciphertrail.consumer.SecureDeserializer} / {@link io.ciphertrail.consumer.SecureSerde} for use by
 * class name. All decrypt and verify every record before the application sees it, carry its trace ID
 * ({@link io.ciphertrail.consumer.Traced}), and handle a record that fails by the configured policy
 * ({@link io.ciphertrail.consumer.SecureConsumerConfig}): never skipped, never silently accepted.
 */
package io.ciphertrail.consumer;
