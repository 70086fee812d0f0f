package io.ciphertrail.trust.audit;

/**
 * One thing the CA did or refused about a workload identity, as aggregated: equal ones within a window (repeated
 * refusals) become one event with a count; each issued certificate has its own serial, so its own event.
 *
 * @param operation BOOTSTRAP, RENEW, CREATE_TOKEN, BAR or UNBAR
 * @param allowed   whether it was done
 * @param result    OK or the refusal's code (an {@code IdentityError})
 * @param serial    the issued certificate's serial (hex), empty if none
 * @param notAfter  epoch milliseconds when the certificate or token expires, 0 if none
 * @param tokenId   the bootstrap token's id (a hash prefix), empty if none
 * @param key       the requested key (EC P-256, RSA 1024, ...), empty if none was read
 * @param issuer    the signing CA's subject for an issued certificate, empty otherwise
 */
public record IdentityEvent(String principal, String clientAddress, String operation, String identity, String spiffeId,
                            boolean allowed, String result, String reason, String serial, long notAfter, String tokenId,
                            String key, String issuer) {
}
