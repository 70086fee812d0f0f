package io.ciphertrail.trust.audit;

/**
 * One audited key operation, as aggregated: operations equal in every field within a window become one
 * event with a count.
 *
 * @param operation  the API call (RESOLVE, UNWRAP, ...)
 * @param permission what the key policy must grant for it (ENCRYPT, DECRYPT, DERIVE, ADMIN)
 * @param version    the KEK version, 0 where the call names none
 * @param allowed    whether it went ahead
 * @param dryRun     a DRY_RUN policy or rule would have denied it
 * @param rule       the deciding rule, empty for the default deny
 * @param result     OK, DENIED, or the KMS's failure kind (UNKNOWN_KEY, KEY_DESTROYED, ...)
 */
public record KeyUse(String principal, String clientAddress, String operation, String permission, String alias, int version,
                     boolean allowed, boolean dryRun, String rule, String reason, String result) {
}
