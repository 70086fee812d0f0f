/**
 * Audit events and the gate's trail on the wire: Avro single-object encoding, as the broker authorizer writes
 * them ({@link io.ciphertrail.policy.audit.AuditCodec}); the trail topic's compact index entries
 * ({@link io.ciphertrail.policy.audit.TrailCodec}); event ids without a blocking random source.
 */
package io.ciphertrail.policy.audit;
