package io.ciphertrail.trust.ca;

/** A bar on an identity ({@code barred}) or its lifting, with why, by whom and when (epoch milliseconds). */
public record Bar(String identity, boolean barred, String reason, String by, long at) {
}
