/**
 * The trust service's audit trail, one publisher for every kind of event: key operations (allowed or denied, counted
 * per principal, client address, operation, alias, version, decision, rule and result per window) and what the CA did
 * about workload identities (certificates issued or refused, bootstrap tokens created, identities barred or unbarred).
 * Each becomes one JSON line (logger {@code io.ciphertrail.audit}) and an {@code AuditEvent} on the platform's audit
 * topic, with a {@code keyUse} or {@code identity} section, like the broker authorizer's events. Never key material,
 * tokens or request content.
 */
package io.ciphertrail.trust.audit;
