package io.ciphertrail.cli;

import java.nio.file.Path;

/**
 * The layout of a Ciphertrail home directory ({@code .ciphertrail/} by default): everything the
 * local platform creates lives here and survives restarts.
 */
record Home(Path root) {
    static final String DEFAULT = ".ciphertrail";

    Home {
        root = root.toAbsolutePath().normalize();
    }

    /** The CA ({@code ca.crt}, owner-only {@code ca.key}). */
    Path ca() {
        return root.resolve("ca");
    }

    /** Broker certificates, data and per-identity client stores. */
    Path kafka() {
        return root.resolve("kafka");
    }

    /** Ready client property files, one per identity. */
    Path clients() {
        return root.resolve("clients");
    }

    Path clientProperties(String identity) {
        return clients().resolve(identity + ".properties");
    }
}
