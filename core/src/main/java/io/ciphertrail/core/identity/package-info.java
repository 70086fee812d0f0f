/**
 * Workload identity without files, the Istio model for Kafka clients: a process generates its key pair in
 * memory, obtains a short-lived certificate for its identity from the trust service's CA (the first one with a
 * one-time bootstrap token, every later one by renewing with the current certificate), renews it at half life
 * and hands the new key material to the {@code ReloadingSslEngineFactory}, so new connections use it without a
 * restart and no key is ever written to disk. {@link io.ciphertrail.core.identity.WorkloadIdentities} keeps one
 * identity per process and name, shared by every client that names it (producers, consumers, Streams, the
 * remote KMS client). A process that hosts the CA itself (the trust service) hands its identity a
 * {@link io.ciphertrail.core.identity.CertificateIssuer} instead of the trust service's URLs. The protocol types ({@link io.ciphertrail.core.identity.IdentityApi},
 * {@link io.ciphertrail.core.identity.IdentityError}) are shared with the trust service.
 */
package io.ciphertrail.core.identity;
