package io.ciphertrail.trust.ca;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Bootstrap tokens: 256 random bits, shown once to whoever creates them and kept only as their SHA-256 hash, so
 * neither the ledger topic nor the audit trail holds anything a workload could present. A token has a prefix so a
 * leaked one is easy to recognise (in a log, a repository) and to search for.
 */
final class BootstrapTokens {
    static final String PREFIX = "ctbt_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private BootstrapTokens() {
    }

    static String newToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The token's hash, as the ledger keys it (hexadecimal SHA-256 of the token's text). */
    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.trim().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A token's id in events and listings: the first 16 hex digits of its hash. */
    static String id(String hash) {
        return hash.substring(0, 16);
    }
}
