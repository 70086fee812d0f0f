package io.ciphertrail.cli;

import io.ciphertrail.core.identity.IdentityApi;
import io.ciphertrail.core.identity.IdentityConfig;
import io.ciphertrail.core.identity.TrustServiceClient;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.remote.RemoteKmsProvider;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateInfo;
import io.ciphertrail.core.pki.CertificateProfile;
import io.ciphertrail.core.pki.CertificateSigningRequest;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.ChainValidator;
import io.ciphertrail.core.pki.IssuedCertificate;
import io.ciphertrail.core.pki.KeyAlgorithm;
import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.core.pki.Pem;
import io.ciphertrail.core.pki.PkiException;
import io.ciphertrail.core.pki.TlsFiles;
import io.ciphertrail.embedded.ClientIdentities;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.SslConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Certificates: a CA, broker and workload certificates, CSR signing, inspection, renewal of the local platform's
 * identities; and, at the trust service's workload CA, one-time bootstrap tokens and barred identities (the
 * administrator's acts, over mutual TLS).
 */
@Command(name = "certs",
        description = {"Creates a CA, issues broker and workload certificates, signs workload CSRs, inspects certificates,",
            "renews the local platform's identities; makes one-time bootstrap tokens for workloads that get short-lived",
            "certificates from the trust service, and bars identities there (no more renewals)."},
        subcommands = {CertsCommand.InitCa.class, CertsCommand.Issue.class, CertsCommand.SignCsr.class, CertsCommand.Inspect.class,
            CertsCommand.Renew.class, CertsCommand.Token.class, CertsCommand.Bar.class, CertsCommand.Unbar.class,
            CertsCommand.Barred.class})
final class CertsCommand {

    abstract static class WithCa {
        @Option(names = "--home", defaultValue = Home.DEFAULT, description = "Home directory (default: ${DEFAULT-VALUE}).")
        Path home;

        @Option(names = "--ca", paramLabel = "DIR", description = "Directory of the CA (ca.crt, ca.key); default: <home>/ca.")
        Path caDir;

        @Spec
        CommandSpec spec;

        Path caDirectory() {
            return caDir != null ? caDir : new Home(home).ca();
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "init-ca", description = "Creates a CA: ca.crt and the owner-only ca.key.")
    static final class InitCa extends WithCa implements Callable<Integer> {
        @Option(names = "--name", defaultValue = "Ciphertrail CA", description = "CA common name (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--algorithm", defaultValue = "EC_P256", description = "EC_P256 or RSA_3072 (default: ${DEFAULT-VALUE}).")
        KeyAlgorithm algorithm;

        @Option(names = "--days", defaultValue = "3650", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--force", description = "Replace an existing CA (certificates it issued stop validating).")
        boolean force;

        @Override
        public Integer call() {
            Path dir = caDirectory();
            if (Files.exists(dir.resolve(CertificateAuthority.CERTIFICATE_FILE)) && !force) {
                throw new IllegalStateException("A CA already exists in " + dir.toAbsolutePath() + "; pass --force to replace it");
            }
            CertificateAuthority ca = CertificateAuthority.create(name, algorithm, Duration.ofDays(days));
            ca.save(dir);
            out().println("CA '" + name + "' created: " + dir.resolve(CertificateAuthority.CERTIFICATE_FILE) + " (key: "
                    + dir.resolve(CertificateAuthority.KEY_FILE) + ", owner-only)");
            return 0;
        }
    }

    @Command(name = "issue",
            description = {"Issues a certificate and key for an identity, signed by the CA.",
                "Writes <out>/<identity>.crt and the owner-only <identity>.key (PEM); with --pkcs12 also",
                "<out>/<identity>/keystore.p12, truststore.p12 and the owner-only store-password file."})
    static final class Issue extends WithCa implements Callable<Integer> {
        @Parameters(paramLabel = "IDENTITY", description = "The common name: a workload's identity (its Kafka principal), or a broker's name.")
        String identity;

        @Option(names = "--broker", description = "A broker certificate (serverAuth and clientAuth) instead of a workload one (clientAuth).")
        boolean broker;

        @Option(names = "--dns", paramLabel = "NAME", description = "DNS name on the certificate; repeatable.")
        List<String> dns = new ArrayList<>();

        @Option(names = "--ip", paramLabel = "ADDRESS", description = "IP address on the certificate; repeatable.")
        List<String> ips = new ArrayList<>();

        @Option(names = "--days", description = "Validity in days (default: 365 for brokers, 30 for workloads).")
        Integer days;

        @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Output directory (default: current directory).")
        Path out;

        @Option(names = "--pkcs12", description = "Also write PKCS12 key and trust stores with a random password in a file.")
        boolean pkcs12;

        @Override
        public Integer call() {
            CertificateAuthority ca = CertificateAuthority.load(caDirectory());
            CertificateSpec certificate = (broker ? CertificateSpec.broker(identity) : CertificateSpec.workload(identity))
                    .dnsNames(dns).ipAddresses(ips);
            if (days != null) {
                certificate.validity(Duration.ofDays(days));
            }
            IssuedCertificate issued = ca.issue(certificate);
            Pem.write(out, identity, issued);
            out().println("Issued " + issued.info().subject() + " (serial " + issued.info().serialHex() + ", valid until "
                    + issued.info().notAfter() + "): " + out.resolve(identity + ".crt") + ", " + out.resolve(identity + ".key"));
            if (pkcs12) {
                Path stores = out.resolve(identity);
                TlsFiles files = TlsFiles.write(stores, issued, List.of(ca.certificate()));
                SecureFiles.writeOwnerOnly(stores.resolve("store-password"),
                        files.kafkaSslProperties().get(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG).toString().getBytes(StandardCharsets.US_ASCII));
                out().println("Stores: " + files.keyStore() + ", " + files.trustStore() + " (password in " + stores.resolve("store-password") + ")");
            }
            return 0;
        }
    }

    @Command(name = "sign-csr",
            description = "Signs a workload's PKCS#10 request; the workload keeps its private key. Writes the certificate chain (PEM).")
    static final class SignCsr extends WithCa implements Callable<Integer> {
        @Parameters(paramLabel = "CSR", description = "The request, PEM.")
        Path csr;

        @Option(names = "--out", paramLabel = "FILE", description = "Where to write the chain (default: <CN>.crt next to the request).")
        Path output;

        @Option(names = "--days", defaultValue = "30", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() {
            CertificateAuthority ca = CertificateAuthority.load(caDirectory());
            CertificateSigningRequest request = CertificateSigningRequest.read(csr);
            // Exactly what the request asks for (subject and alternative names), or a refusal naming the rule it breaks.
            X509Certificate certificate = ca.signAsRequested(request, CertificateProfile.WORKLOAD, Duration.ofDays(days));
            Path target = output != null ? output : csr.toAbsolutePath().resolveSibling(request.commonName() + ".crt");
            Pem.writeCertificates(target, List.of(certificate, ca.certificate()));
            CertificateInfo info = CertificateInfo.of(certificate);
            out().println("Signed " + info.subject() + (info.dnsNames().isEmpty() && info.ipAddresses().isEmpty() ? ""
                    : " (DNS " + info.dnsNames() + ", IP " + info.ipAddresses() + ")") + " for " + days + " days: " + target);
            return 0;
        }
    }

    @Command(name = "renew",
            description = {"Issues new certificates for the local platform's identities (default: every one in the home), keeping",
                "each one's store password, so the client settings 'up' wrote, and copies of them, stay right. Clients",
                "that reload their stores (Ciphertrail's do) present the new certificate on their next connection.",
                "'up' keeps certificates across restarts; this is how they are renewed."})
    static final class Renew extends WithCa implements Callable<Integer> {
        @Parameters(paramLabel = "IDENTITY", arity = "0..*", description = "Identities to renew, e.g. ciphertrail-admin.")
        List<String> identities = new ArrayList<>();

        @Override
        public Integer call() {
            Home layout = new Home(home);
            // The single broker's identities, and a three-node cluster's (the home keeps them apart).
            List<Path> folders = List.of(layout.kafka().resolve("clients"), layout.cluster().resolve("clients"));
            Set<String> known = new TreeSet<>();
            folders.forEach(clients -> known.addAll(ClientIdentities.identities(clients)));
            if (known.isEmpty()) {
                throw new IllegalStateException("No platform identities in " + layout.root() + "; start it once with 'ciphertrail up" + layout.argument() + "'");
            }
            for (String identity : identities) {
                if (LocalPlatform.KEY_SERVICE.equals(identity) && !known.contains(identity)) {
                    throw Errors.usage(spec, identity + " takes short-lived certificates from the CA it hosts, renewed at half"
                            + " life without a restart: there is no file to renew");
                }
                if (LocalPlatform.BOOTSTRAPPED_IDENTITIES.contains(identity) && !known.contains(identity)) {
                    throw Errors.usage(spec, identity + " takes short-lived certificates from the trust service, renewed at half"
                            + " life without a restart: there is no file to renew ('ciphertrail certs bar' stops its renewals)");
                }
                if (!known.contains(identity)) {
                    throw Errors.usage(spec, "No identity '" + identity + "' in " + layout.root() + "; the identities are " + String.join(", ", known));
                }
            }
            CertificateAuthority ca = CertificateAuthority.load(caDirectory());
            for (Path clients : folders) {
                for (String identity : ClientIdentities.identities(clients)) {
                    if (identities.isEmpty() || identities.contains(identity)) {
                        TlsFiles files = LocalPlatform.ADMIN.equals(identity)
                                ? ClientIdentities.renew(ca, clients, identity, AdminCredential.LIFETIME) : ClientIdentities.renew(ca, clients, identity);
                        X509Certificate certificate = KeyStores.readKeyStore(files.keyStore(),
                                files.kafkaSslProperties().get(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG).toString().toCharArray()).certificate();
                        out().println("Renewed " + identity + ": valid until " + certificate.getNotAfter().toInstant() + " (" + files.keyStore() + ")");
                    }
                }
            }
            return 0;
        }
    }

    @Command(name = "inspect",
            description = "Shows a certificate's subject, names, issuer, serial and validity, and checks it against the CA when one is found.")
    static final class Inspect extends WithCa implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "A PEM certificate (chain) or a PKCS12 key store.")
        Path file;

        @Option(names = "--password-file", paramLabel = "FILE", description = "Password of a PKCS12 key store.")
        Path passwordFile;

        @Override
        public Integer call() throws Exception {
            List<X509Certificate> chain;
            if (file.toString().endsWith(".p12") || file.toString().endsWith(".pfx")) {
                if (passwordFile == null) {
                    throw new IllegalArgumentException("A PKCS12 store needs --password-file");
                }
                char[] password = Files.readString(passwordFile).trim().toCharArray();
                chain = KeyStores.readKeyStore(file, password).chain();
            } else {
                chain = Pem.readCertificates(file);
            }
            CertificateInfo info = CertificateInfo.of(chain.get(0));
            Instant now = Instant.now();
            PrintWriter out = out();
            out.println("Subject:    " + info.subject());
            out.println("Issuer:     " + info.issuer());
            out.println("Serial:     " + info.serialHex());
            out.println("DNS names:  " + (info.dnsNames().isEmpty() ? "-" : String.join(", ", info.dnsNames())));
            out.println("IPs:        " + (info.ipAddresses().isEmpty() ? "-" : String.join(", ", info.ipAddresses())));
            out.println("Valid:      " + info.notBefore() + " to " + info.notAfter());
            out.println("Status:     " + info.validityAt(now)
                    + (info.validityAt(now) == CertificateInfo.Validity.VALID ? " (" + info.timeLeft(now) + " left)" : ""));
            Path caFile = caDirectory().resolve(CertificateAuthority.CERTIFICATE_FILE);
            if (Files.exists(caFile)) {
                try {
                    ChainValidator.validate(chain, Pem.readCertificates(caFile).get(0), now);
                    out.println("Chain:      valid against " + caFile);
                } catch (PkiException e) {
                    out.println("Chain:      INVALID: " + e.getMessage());
                    return 1;
                }
            }
            return info.validityAt(now) == CertificateInfo.Validity.VALID ? 0 : 1;
        }
    }
    /** A command the administrator runs against the trust service's workload CA, with the administrator's settings. */
    abstract static class AtTheCa {
        @Mixin
        ClientSettings settings;

        @Spec
        CommandSpec spec;

        /** The administrator's client of the CA: the trust service of the key service URLs unless ciphertrail.identity.urls names it. */
        TrustServiceClient ca() {
            Map<String, Object> configs = new HashMap<>(settings.kms(LocalPlatform.ADMIN));
            Object urls = configs.get(IdentityConfig.URLS_CONFIG);
            if (urls == null || urls.toString().isBlank()) {
                configs.put(IdentityConfig.URLS_CONFIG, configs.getOrDefault(RemoteKmsProvider.URLS_CONFIG, ""));
            }
            return TrustServiceClient.of(configs);
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "token",
            description = {"Makes a one-time bootstrap token for a workload identity at the trust service (administrators only).",
                "The workload presents it once to get its first short-lived certificate (ciphertrail.identity.bootstrap.token.file);",
                "it renews with its certificate from then on. The token is printed once; the trust service keeps only its hash."})
    static final class Token extends AtTheCa implements Callable<Integer> {
        @Option(names = "--identity", required = true, description = "The workload identity (its principal is User:<identity>).")
        String identity;

        @Option(names = "--ttl", defaultValue = "10m", description = "How long the token may wait to be used: 90s, 10m, 2h (default: ${DEFAULT-VALUE}).")
        String ttl;

        @Override
        public Integer call() {
            IdentityApi.TokenResponse token = ca().post(IdentityApi.TOKENS,
                    new IdentityApi.TokenRequest(identity, parseDuration(ttl).toSeconds(), null, null, null), IdentityApi.TokenResponse.class);
            out().println(token.token());
            spec.commandLine().getErr().println("One-time token " + token.tokenId() + " for " + token.identity() + ", valid until "
                    + Instant.ofEpochMilli(token.expiresAt()) + ". Hand it to the workload only (a file it alone reads).");
            return 0;
        }
    }

    /** Setting or lifting a bar: the identity and why, kept in the audit trail. */
    abstract static class BarChange extends AtTheCa {
        @Option(names = "--identity", required = true, description = "The identity.")
        String identity;

        @Option(names = "--reason", description = "Why (kept in the audit trail), e.g. a ticket number.")
        String reason;

        IdentityApi.BarredIdentity post(String path) {
            return ca().post(path, new IdentityApi.BarRequest(identity, reason), IdentityApi.BarredIdentity.class);
        }
    }

    @Command(name = "bar",
            description = {"Bars an identity at the trust service: no more certificates (renewals or first ones) and no key",
                "operation for it until the bar is lifted. With 24-hour certificates, this is revocation within a day."})
    static final class Bar extends BarChange implements Callable<Integer> {
        @Override
        public Integer call() {
            IdentityApi.BarredIdentity bar = post(IdentityApi.BAR);
            out().println("Barred " + bar.identity() + " (" + bar.reason() + "): no certificate is renewed or issued for it;"
                    + " its current one works until it expires");
            return 0;
        }
    }

    @Command(name = "unbar", description = "Lifts an identity's bar at the trust service.")
    static final class Unbar extends BarChange implements Callable<Integer> {
        @Override
        public Integer call() {
            out().println("Bar on " + post(IdentityApi.UNBAR).identity() + " lifted; a workload whose certificate expired meanwhile"
                    + " needs a new token");
            return 0;
        }
    }

    @Command(name = "barred", description = "Lists the identities barred at the trust service.")
    static final class Barred extends AtTheCa implements Callable<Integer> {
        @Override
        public Integer call() {
            List<IdentityApi.BarredIdentity> barred = ca().get(IdentityApi.BARRED, IdentityApi.BarredList.class).barred();
            if (barred.isEmpty()) {
                out().println("No identity is barred");
            }
            barred.forEach(bar -> out().println(bar.identity() + "  barred " + Instant.ofEpochMilli(bar.at()) + " by " + bar.by() + ": " + bar.reason()));
            return 0;
        }
    }

    /** {@code 90s}, {@code 10m}, {@code 2h}, {@code 1d}. */
    static Duration parseDuration(String text) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("(\\d{1,9})([smhd])").matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration: use a number and s, m, h or d, e.g. 10m");
        }
        long amount = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2)) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }
}
