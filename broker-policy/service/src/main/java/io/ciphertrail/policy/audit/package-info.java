/** Audit events on the wire: Avro single-object encoding, as the broker authorizer writes them. */
package io.ciphertrail.policy.audit;
