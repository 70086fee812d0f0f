package io.ciphertrail.cli;

import io.ciphertrail.core.io.SecureFiles;
import java.nio.file.Path;
import java.util.List;

/**
 * The layout of a Ciphertrail home directory ({@code .ciphertrail/} by default): everything the local
 * platform creates lives here and survives restarts. Secrets in it (CA key, KMS key store and its
 * password, client property files) are owner-only.
 */
record Home(Path root) {
    static final String DEFAULT = ".ciphertrail";

    Home {
        root = root.toAbsolutePath().normalize();
    }

    /** True for the home commands use when no {@code --home} is given. */
    boolean isDefault() {
        return root.equals(Path.of(DEFAULT).toAbsolutePath().normalize());
    }

    /**
     * What a suggested command needs to reach this home: {@code " --home DIR"}, or nothing for the default home.
     * Every hint the command prints goes through here, so copying it never reaches another platform.
     */
    static String argument(Path home) {
        Home layout = new Home(home);
        String path = layout.root().toString();
        return layout.isDefault() ? "" : " --home " + (path.matches("[\\w/.,:@%+=-]+") ? path : "\"" + path + "\"");
    }

    String argument() {
        return argument(root);
    }

    /**
     * Creates the home and its folders owner-only (narrowing existing ones): broker data, keys, certificates and
     * client settings are nobody else's business on a shared machine.
     */
    Home prepare() {
        for (Path directory : List.of(root, ca(), kafka(), kafka().resolve("data"), clients(), kmsKeyStore().getParent(), serviceState())) {
            SecureFiles.createOwnerOnlyDirectory(directory);
        }
        return this;
    }

    /** The CA ({@code ca.crt}, owner-only {@code ca.key}). */
    Path ca() {
        return root.resolve("ca");
    }

    /** The single broker's certificates, data and per-identity client stores. */
    Path kafka() {
        return root.resolve("kafka");
    }

    /** The multi-node cluster's nodes (certificates, data, logs) and per-identity client stores; apart from the single broker's. */
    Path cluster() {
        return root.resolve("cluster");
    }

    /** Ready client property files, one per identity. */
    Path clients() {
        return root.resolve("clients");
    }

    Path clientProperties(String identity) {
        return clients().resolve(identity + ".properties");
    }

    /** Where the key service's key store was before it took short-lived certificates from the CA it hosts (removed at start). */
    Path keyService() {
        return root.resolve("key-service");
    }

    /** The key policy the key service enforces (written once, then yours to edit; changes apply without a restart). */
    Path keyPolicy() {
        return root.resolve("key-policy.yaml");
    }

    /** The key service's backend: the KEK key store and the owner-only file holding its password. Only the key service opens them. */
    Path kmsKeyStore() {
        return root.resolve("kms").resolve("keks.p12");
    }

    Path kmsPassword() {
        return root.resolve("kms").resolve("password");
    }

    /** The policy file the local policy service publishes on start (written once, then yours to edit). */
    Path policies() {
        return root.resolve("policies.yaml");
    }

    /** Kafka Streams state of the local policy service. */
    Path serviceState() {
        return root.resolve("policy-service");
    }
}
