package io.ciphertrail.cli;

import io.ciphertrail.embedded.EmbeddedSecureKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Every identity the local platform runs, what its certificate lives in, how long it lives and how it is renewed:
 * what {@code up} prints and docs/operations.md lists. The platform services (the key service and the policy service)
 * and the demo's workloads hold short-lived certificates in memory only; the administrator, the operator's credential
 * that the CLI's commands use, keeps a key store file (see docs/operations.md, "The administrator's credential").
 *
 * @param services lifetime of the platform services' certificates (the trust service's own and the policy service's)
 * @param broker   lifetime of the single broker's certificates from the workload CA
 */
record PlatformIdentities(Duration services, Duration broker) {
    /** What {@code up} runs: 24 h certificates, as the workload CA issues by default, renewed at half life. */
    static final PlatformIdentities STANDARD = new PlatformIdentities(LocalPlatform.CERTIFICATE_LIFETIME, LocalPlatform.CERTIFICATE_LIFETIME);

    PlatformIdentities withServices(Duration lifetime) {
        return new PlatformIdentities(lifetime, broker);
    }

    PlatformIdentities withBroker(Duration lifetime) {
        return new PlatformIdentities(services, lifetime);
    }

    /** One line per identity, for {@code up}'s summary. */
    List<String> describe(Home home) {
        return List.of(
                LocalPlatform.KEY_SERVICE + ": " + lifetime(services) + " server certificate issued in process by the CA it hosts,"
                        + " renewed at half life; no key file",
                LocalPlatform.SERVICE + ": " + lifetime(services) + " certificate from the trust service (one-time token in "
                        + home.clients().resolve(LocalPlatform.SERVICE + ".token") + "), renewed at half life over mutual TLS; no key file",
                String.join(", ", LocalPlatform.SHORT_LIVED_IDENTITIES) + ": " + lifetime(LocalPlatform.CERTIFICATE_LIFETIME)
                        + " certificates from the trust service (one-time tokens in " + home.clients() + "/<identity>.token, replaced"
                        + " when used), renewed at half life; no key file",
                LocalPlatform.ADMIN + ": key store file " + home.kafka().resolve("clients").resolve(LocalPlatform.ADMIN)
                        + " (the operator's credential, like a kubeconfig), " + AdminCredential.LIFETIME.toDays() + " days, replaced"
                        + " by 'up' once past half its life or by 'ciphertrail certs renew " + LocalPlatform.ADMIN + "'",
                EmbeddedSecureKafka.BROKER_IDENTITY + ": " + lifetime(broker) + " server certificate from the workload CA (a one-time"
                        + " server token), renewed at half life and reloaded by its listeners without a restart; its key is in the"
                        + " broker's owner-only store files under " + home.kafka() + " (a --nodes 3 cluster's nodes keep home-CA certificates)");
    }

    /**
     * Removes the key store files a home kept for the platform services before they took short-lived certificates (the
     * key service's, the policy service's), so no key of theirs stays on disk.
     */
    static void removeRetiredKeyFiles(Home home) {
        for (Path retired : List.of(home.keyService(), home.kafka().resolve("clients").resolve(LocalPlatform.SERVICE),
                home.cluster().resolve("clients").resolve(LocalPlatform.SERVICE))) {
            if (Files.exists(retired)) {
                try (Stream<Path> files = Files.walk(retired)) {
                    for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(file);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot remove " + retired + ", a key store the platform no longer uses: " + e.getMessage()
                            + ". Remove it by hand", e);
                }
            }
        }
    }

    private static String lifetime(Duration lifetime) {
        return lifetime.toHours() > 0 && lifetime.toMinutes() % 60 == 0 ? lifetime.toHours() + " h" : lifetime.toSeconds() + " s";
    }
}
