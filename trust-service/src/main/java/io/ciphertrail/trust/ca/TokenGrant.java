package io.ciphertrail.trust.ca;

import java.util.List;

/**
 * What a bootstrap token allows, as the ledger keeps it: the token only as its SHA-256 hash, the identity it is for,
 * whether it allows a server certificate and with which names, when it expires, and who created it when.
 */
public record TokenGrant(String hash, String identity, boolean server, List<String> dnsNames, List<String> ipAddresses,
                         long expiresAt, String issuedBy, long issuedAt) {

    public TokenGrant {
        dnsNames = dnsNames == null ? List.of() : List.copyOf(dnsNames);
        ipAddresses = ipAddresses == null ? List.of() : List.copyOf(ipAddresses);
    }

    /** How events and operators name the token: a prefix of its hash (which the token cannot be recovered from). */
    public String tokenId() {
        return BootstrapTokens.id(hash);
    }
}
