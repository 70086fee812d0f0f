/**
 * The authorizer's audit trail: counting audited requests per key and window on the request path, turning
 * them into events, and publishing them from a thread of its own.
 */
package io.ciphertrail.broker.authorizer.audit;
