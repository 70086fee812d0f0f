/**
 * The Ciphertrail trust service: the key service in front of the KMS or HSM, where KEKs stay and every key
 * use is decided by a key policy for the caller's workload identity and recorded in the audit trail; later
 * also the workload CA. {@link io.ciphertrail.trust.TrustService} starts it from a properties file
 * ({@link io.ciphertrail.trust.TrustServiceConfig}); {@code ciphertrail up} embeds it.
 */
package io.ciphertrail.trust;
