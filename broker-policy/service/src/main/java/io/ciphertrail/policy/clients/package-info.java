/**
 * The insecure-client monitor: which audit events it believes, how it counts insecure attempts per client,
 * the alerts it raises, and the DENY ACLs it places, records and lifts, never for whom it must not.
 */
package io.ciphertrail.policy.clients;
