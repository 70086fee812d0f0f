package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.embedded.ClientIdentities;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Restarting the platform keeps its identities; renewing them is an explicit command that keeps their passwords. */
class UpRestartTest {
    @TempDir
    Path dir;

    @Test
    void identitiesAndTheirPasswordsSurviveARestartAndRenewalKeepsThePassword() throws Exception {
        Home home = new Home(dir.resolve("home"));
        Path copied = dir.resolve("admin-copy.properties");
        // The administrator keeps a key store file; the demo's workloads take short-lived certificates instead.
        Path adminStore;
        byte[] adminKeyStore;
        String adminSettings;
        try (LocalPlatform platform = LocalPlatform.start(home, 1, 0, 0, 0, 0)) {
            Files.copy(home.clientProperties(LocalPlatform.ADMIN), copied);
            adminSettings = Files.readString(home.clientProperties(LocalPlatform.ADMIN));
            adminStore = home.kafka().resolve("clients").resolve(LocalPlatform.ADMIN).resolve("keystore.p12");
            adminKeyStore = Files.readAllBytes(adminStore);
            // The operator's credential stays a file, bounded to a week (replaced by 'up' once past half of it).
            X509Certificate adminCertificate = KeyStores.readKeyStore(adminStore,
                    Files.readString(adminStore.resolveSibling(ClientIdentities.PASSWORD_FILE)).strip().toCharArray()).certificate();
            assertThat(Duration.between(adminCertificate.getNotBefore().toInstant(), adminCertificate.getNotAfter().toInstant()))
                    .isLessThanOrEqualTo(AdminCredential.LIFETIME);
            assertThat(platform.policies()).startsWith("published the 1 policies of " + home.policies());
            Path other = dir.resolve("other-policies.yaml");
            Files.writeString(other, "policies:\n  - {name: invoices-only, from: invoices.ingress, to: invoices, rules: {envelope: ENFORCE}}\n");
            assertThat(run("policy", "apply", other.toString(), "--home", home.root().toString())).isZero();
        }
        try (LocalPlatform again = LocalPlatform.start(home, 1, 0, 0, 0, 0)) {
            // Policies applied from another file stay in force, and the start says so.
            assertThat(again.policies()).contains("kept the 1 policies in force [invoices-only]").contains("was not published")
                    .contains("ciphertrail policy apply " + home.policies() + " --home " + home.root());
            StringWriter shown = new StringWriter();
            CommandLine show = Ciphertrail.commandLine();
            show.setOut(new PrintWriter(shown, true));
            assertThat(show.execute("policy", "show", "--home", home.root().toString())).isZero();
            assertThat(shown.toString()).contains("name: invoices-only").doesNotContain("ingress-convention");
            // The settings name the same stores under the same password; only the broker's address may differ.
            assertThat(Files.readAllBytes(adminStore)).isEqualTo(adminKeyStore);
            assertThat(withoutBootstrap(Files.readString(home.clientProperties(LocalPlatform.ADMIN)))).isEqualTo(withoutBootstrap(adminSettings));
            Path copy = dir.resolve("admin-copy-now.properties");
            Files.writeString(copy, withBootstrap(Files.readString(copied), again.kafka().bootstrapServers()));
            assertThat(run("policy", "show", "--config", copy.toString())).as("a copied client file still works").isZero();

            String beforeRenewal = Files.readString(home.clientProperties(LocalPlatform.ADMIN));
            String[] renew = {"certs", "renew", LocalPlatform.ADMIN, "--home", home.root().toString()};
            StringWriter out = new StringWriter();
            CommandLine command = Ciphertrail.commandLine();
            command.setOut(new PrintWriter(out, true));
            assertThat(command.execute(renew)).isZero();
            assertThat(out.toString()).contains("Renewed " + LocalPlatform.ADMIN + ": valid until");
            assertThat(Files.readAllBytes(adminStore)).isNotEqualTo(adminKeyStore);
            assertThat(Files.readString(home.clientProperties(LocalPlatform.ADMIN))).isEqualTo(beforeRenewal);
            Path password = adminStore.resolveSibling(ClientIdentities.PASSWORD_FILE);
            assertThat(Files.readString(home.clientProperties(LocalPlatform.ADMIN))).contains(Files.readString(password).strip());
            assertThat(run("certs", "renew", "nobody", "--home", home.root().toString())).isEqualTo(2);
            // A short-lived identity renews itself at the trust service: there is no file to renew.
            StringWriter refused = new StringWriter();
            CommandLine shortLived = Ciphertrail.commandLine();
            shortLived.setErr(new PrintWriter(refused, true));
            assertThat(shortLived.execute("certs", "renew", LocalPlatform.PRODUCER, "--home", home.root().toString())).isEqualTo(2);
            assertThat(refused.toString()).contains(LocalPlatform.PRODUCER + " takes short-lived certificates from the trust service");

            // What 'up' watches: ready once the gate runs; down when it stops.
            PlatformWatch.awaitReady(again, new PrintWriter(new StringWriter(), true), Duration.ofMinutes(2));
            assertThat(PlatformWatch.problem(again)).isNull();
            again.service().close();
            assertThat(PlatformWatch.problem(again)).contains("the policy gate stopped").contains("NOT_RUNNING");
        }
    }

    private static int run(String... args) {
        CommandLine command = Ciphertrail.commandLine();
        command.setOut(new PrintWriter(new StringWriter(), true));
        command.setErr(new PrintWriter(new StringWriter(), true));
        return command.execute(args);
    }

    private static String withoutBootstrap(String settings) {
        return settings.lines().filter(line -> !line.startsWith("#") && !line.startsWith("bootstrap.servers")
                && !line.startsWith("ciphertrail.kms.remote.urls")).sorted().reduce("", (a, b) -> a + b + "\n");
    }

    private static String withBootstrap(String settings, String bootstrap) {
        return settings.lines().map(line -> line.startsWith("bootstrap.servers") ? "bootstrap.servers=" + bootstrap.replace(":", "\\:") : line)
                .reduce("", (a, b) -> a + b + "\n");
    }
}
