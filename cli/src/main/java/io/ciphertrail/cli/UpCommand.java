package io.ciphertrail.cli;

import io.ciphertrail.core.pki.CertificateAuthority;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Starts the local platform and waits for Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {
            "Starts the platform locally on a real TLS-only Kafka broker.",
            "",
            "A KRaft broker that accepts only mutual TLS, with the SecureTransportAuthorizer in STRICT mode (its",
            "PLAINTEXT listener exists only to show that it is refused), the key service (KEKs in a local key store",
            "created with the home, each identity allowed only what the key policy grants it, every key use audited;",
            "the orders and payments KEKs at start, others with 'ciphertrail keys create'), the CA and client",
            "certificates with least-privilege ACLs, and the policy service. Everything lives under the owner-only",
            "home directory and survives restarts. Ctrl-C stops cleanly."})
final class UpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--home", defaultValue = Home.DEFAULT, description = "Where keys, certificates and broker data live (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--port", defaultValue = "" + LocalPlatform.DEFAULT_TLS_PORT,
            description = "Port of the TLS listener; a free one is used if it is taken (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--plaintext-port", defaultValue = "" + LocalPlatform.DEFAULT_PLAINTEXT_PORT,
            description = "Port of the PLAINTEXT listener the broker refuses (default: ${DEFAULT-VALUE}).")
    int plaintextPort;

    @Option(names = "--http-port", defaultValue = "" + LocalPlatform.DEFAULT_HTTP_PORT,
            description = "Port of the policy service's /health and /metrics (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--keys-port", defaultValue = "" + LocalPlatform.DEFAULT_KEYS_PORT,
            description = "Port of the key service (HTTPS, mutual TLS); a free one is used if it is taken (default: ${DEFAULT-VALUE}).")
    int keysPort;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        Home layout = new Home(home);
        out.println("Starting Ciphertrail in " + layout.root() + " ...");
        out.flush();
        LocalPlatform platform = LocalPlatform.start(layout, port, plaintextPort, httpPort, keysPort);
        CountDownLatch stopped = new CountDownLatch(1);
        ScheduledExecutorService watcher = watch(platform, out);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            watcher.shutdownNow();
            out.println("Stopping ...");
            out.flush();
            platform.close();
            out.println("Stopped. Keys, certificates and data stay in " + layout.root());
            out.flush();
            stopped.countDown();
        }, "ciphertrail-up-shutdown"));
        describe(platform, out);
        out.println();
        out.println("Try:  echo 'hello' | ./ciphertrail produce --topic orders.ingress");
        out.println("      ./ciphertrail consume --topic orders --from-beginning --max-records 1 --print-trace");
        out.println("Press Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return 0;
    }

    /** Prints what the policy service reports about writing, as it changes. */
    private static ScheduledExecutorService watch(LocalPlatform platform, PrintWriter out) {
        ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ciphertrail-up-watch");
            thread.setDaemon(true);
            return thread;
        });
        ServiceWatch watch = new ServiceWatch();
        watcher.scheduleWithFixedDelay(() -> {
            String line = watch.update(platform.service().writes());
            if (line != null) {
                out.println(line);
                out.flush();
            }
        }, 1, 1, TimeUnit.SECONDS);
        return watcher;
    }

    /** What is running and where its settings are; shared with the demo. */
    static void describe(LocalPlatform platform, PrintWriter out) {
        Home home = platform.home();
        out.println();
        out.println("Ciphertrail is up. Listeners:");
        platform.kafka().listeners().forEach((name, address) -> out.println("  " + name + "://" + address
                + (name.equals("PLAINTEXT") ? "   (refused by the broker: STRICT mode; here to show it)" : "   (mutual TLS)")));
        out.println("bootstrap.servers=" + platform.kafka().bootstrapServers());
        out.println("Client property files: " + home.clients() + "/{" + String.join(",", LocalPlatform.CLIENT_IDENTITIES) + "}.properties");
        out.println("CA certificate:        " + home.ca().resolve(CertificateAuthority.CERTIFICATE_FILE));
        out.println("Short-lived identities: " + String.join(", ", LocalPlatform.SHORT_LIVED_IDENTITIES) + " take "
                + LocalPlatform.CERTIFICATE_LIFETIME.toHours() + " h certificates from the trust service (no key file; one-time tokens in "
                + home.clients() + "/<identity>.token, replaced when used)");
        out.println("Key service:           " + platform.keyServiceUrl() + " (mutual TLS; health and metrics on http://127.0.0.1:"
                + platform.keyService().managementPort() + ")");
        out.println("Key policy:            " + home.keyPolicy() + " (who may use which key; edits apply without a restart)");
        out.println("KEK store:             " + home.kmsKeyStore() + " (back it up; opened by the key service only;"
                + " a topic's KEK: ciphertrail keys create --topic T)");
        out.println("Policies:              " + home.policies());
        out.println("Policy service:        http://127.0.0.1:" + platform.service().httpPort() + "/health and /metrics");
    }
}
