package io.ciphertrail.core.identity;

import io.ciphertrail.core.identity.IdentityApi.CertificateRequest;
import io.ciphertrail.core.identity.IdentityApi.CertificateResponse;

/**
 * Where an identity's certificates come from when the CA is in this very process: the trust service's own identity,
 * issued by the CA it hosts, needs neither a bootstrap token nor a call to itself. It answers a request (the CSR of a
 * key pair made in memory, and the lifetime asked for) as the trust service's API would, and throws an
 * {@link IdentityException} when it cannot; the {@link WorkloadIdentity} renews at half life as it does any other.
 */
@FunctionalInterface
public interface CertificateIssuer {
    CertificateResponse issue(CertificateRequest request);
}
