package io.ciphertrail.core.kms;

import java.util.Objects;

/**
 * A key encryption key (KEK) by alias and version. A record's envelope names the exact version
 * that wrapped its data key, so a rotated alias still decrypts older records.
 */
public record KekRef(String alias, int version) {
    public KekRef {
        Objects.requireNonNull(alias, "alias");
        if (alias.isEmpty()) {
            throw new IllegalArgumentException("A KEK alias must not be empty");
        }
        if (version < 1) {
            throw new IllegalArgumentException("KEK versions start at 1, got " + version + " for " + alias);
        }
    }

    @Override
    public String toString() {
        return alias + " v" + version;
    }
}
