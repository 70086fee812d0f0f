/**
 * The key-use audit trail: every key operation, allowed or denied, counted per (principal, client address,
 * operation, alias, version, decision, rule, result) and window, then logged as one JSON line (logger
 * {@code io.ciphertrail.audit}) and published to the platform's audit topic as an {@code AuditEvent} with a
 * {@code keyUse} section, like the broker authorizer's events. Never key material.
 */
package io.ciphertrail.trust.audit;
