/**
 * The quarantine topic: the reason headers the gate adds, whole copies and references to records too large to
 * copy, reading them back, and replay, which writes back only the gate's own copies to where the gate reads.
 */
package io.ciphertrail.policy.quarantine;
