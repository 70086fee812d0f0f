package io.ciphertrail.trust.keys;

/** Who asks: the principal mapped from the caller's client certificate, and its address. */
public record Caller(String principal, String address) {
}
