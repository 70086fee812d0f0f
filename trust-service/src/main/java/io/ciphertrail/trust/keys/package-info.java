/**
 * The key operations the service offers (resolve, generate, unwrap, derive; create, rotate, list, destroy),
 * each decided by the key policy for the caller's identity, run against the backend KMS (a key store file,
 * an HSM token) where the KEKs stay, and recorded in the key-use audit trail whatever the outcome.
 */
package io.ciphertrail.trust.keys;
