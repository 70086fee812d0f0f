package io.ciphertrail.core.pki;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;

/** Validates a certificate chain against a trusted CA with the JDK's PKIX validator, as a TLS peer would. */
public final class ChainValidator {

    private ChainValidator() {
    }

    /**
     * @param chain     leaf first; the trusted CA itself may be included or left out
     * @param trustedCa the CA that must have issued the chain
     * @param at        the moment to validate at
     * @throws PkiException naming the leaf and the reason (expired, not yet valid, untrusted issuer, bad signature)
     */
    public static void validate(List<X509Certificate> chain, X509Certificate trustedCa, Instant at) {
        String leaf = chain.isEmpty() ? "(empty chain)" : chain.get(0).getSubjectX500Principal().getName();
        List<X509Certificate> path = chain.stream().filter(c -> !c.equals(trustedCa)).toList();
        try {
            PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(trustedCa, null)));
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(at));
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
        } catch (CertPathValidatorException e) {
            throw new PkiException("Certificate " + leaf + " does not validate against CA "
                    + trustedCa.getSubjectX500Principal().getName() + ": " + reason(e), e);
        } catch (GeneralSecurityException e) {
            throw new PkiException("Cannot validate certificate " + leaf + ": " + e.getMessage(), e);
        }
    }

    private static String reason(CertPathValidatorException e) {
        if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
            return "expired";
        }
        if (e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return "not yet valid";
        }
        if (e.getReason() == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return "invalid signature";
        }
        return e.getMessage();
    }
}
