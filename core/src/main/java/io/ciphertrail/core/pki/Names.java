package io.ciphertrail.core.pki;

import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * Distinguished names built the way Kafka reads them. Names go through {@link X500Principal} because
 * BouncyCastle's string constructor keeps RDNs in written order, which Kafka then shows reversed
 * ({@code O=..,CN=..}) and principal mapping rules stop matching.
 */
final class Names {
    static final String ORGANIZATION = "Ciphertrail";

    private Names() {
    }

    static X500Name of(String commonName) {
        return of(principal(commonName));
    }

    static X500Name of(X500Principal principal) {
        return X500Name.getInstance(principal.getEncoded());
    }

    /** {@code CN=<commonName>,O=Ciphertrail}: the subject of every certificate Ciphertrail issues for an identity. */
    static X500Principal principal(String commonName) {
        return new X500Principal("CN=" + Rdn.escapeValue(commonName) + ",O=" + ORGANIZATION);
    }

    static String requireIdentity(String identity) {
        if (identity == null || identity.isBlank()) {
            throw new IllegalArgumentException("A certificate identity (common name) must not be blank");
        }
        if (identity.length() > 64) {
            throw new IllegalArgumentException("Common name '" + identity + "' is longer than the 64 characters X.509 allows");
        }
        return identity;
    }
}
