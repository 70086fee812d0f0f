/**
 * The workload CA: signs PKCS#10 requests into short-lived workload certificates (clientAuth, or serverAuth too for a
 * broker identity, with a SPIFFE ID {@code spiffe://<trust-domain>/<identity>}), a first certificate against a one-time
 * bootstrap token and every later one against the caller's current certificate, for the same identity and names only.
 * Tokens (hashed), their use and barred identities live in a signed, compacted {@link io.ciphertrail.trust.ca.IdentityLedger}
 * topic shared by every instance; the trust bundle (old and new CA during a rotation) goes out with every certificate.
 * The signing key lives in a file or a PKCS#11 token. {@link io.ciphertrail.trust.ca.ServiceIdentity} is the service's own
 * short-lived certificate, issued by this CA in process when no key store is configured.
 */
package io.ciphertrail.trust.ca;
