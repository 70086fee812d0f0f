package io.ciphertrail.cli;

import io.ciphertrail.core.pki.CertificateAuthority;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Starts the local platform on a real TLS-only Kafka and waits for Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {
            "Starts the platform locally on a real TLS-only Kafka broker.",
            "",
            "The broker (KRaft) accepts only mutual TLS. A CA, client certificates and ready client",
            "property files are written under the home directory and survive restarts. Ctrl-C stops cleanly."})
final class UpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--home", defaultValue = Home.DEFAULT, description = "Where keys, certificates and broker data live (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--port", defaultValue = "9093",
            description = "Port of the TLS client listener; if it is taken a free one is used (default: ${DEFAULT-VALUE}).")
    int port;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        Home layout = new Home(home);
        if (!LocalPlatform.isFree(port)) {
            out.println("Port " + port + " is taken; using a free port instead.");
        }
        out.println("Starting Kafka (TLS only) in " + layout.root() + " ...");
        out.flush();
        LocalPlatform platform = LocalPlatform.start(layout, port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println("Stopping Kafka ...");
            out.flush();
            platform.close();
            out.println("Stopped. Data and certificates stay in " + layout.root());
            out.flush();
            stopped.countDown();
        }, "ciphertrail-up-shutdown"));

        out.println();
        out.println("Kafka is up. Listeners:");
        platform.kafka().listeners().forEach((name, address) -> out.println("  " + name + "://" + address));
        out.println("bootstrap.servers=" + platform.kafka().bootstrapServers());
        out.println("CA certificate:        " + layout.ca().resolve(CertificateAuthority.CERTIFICATE_FILE));
        out.println("Client property files: " + layout.clients() + "/{"
                + String.join(",", LocalPlatform.CLIENT_IDENTITIES) + "}.properties");
        out.println("Press Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return 0;
    }
}
