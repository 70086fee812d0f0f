package io.ciphertrail.cli;

import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateInfo;
import io.ciphertrail.embedded.BrokerSettings;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Starts the local platform and waits for Ctrl-C. */
@Command(name = "up",
        description = {
            "Starts the platform locally on a real TLS-only Kafka broker.",
            "",
            "A KRaft broker that accepts only mutual TLS, with the SecureTransportAuthorizer in STRICT mode (its",
            "PLAINTEXT listener exists only to show that it is refused), the key service (KEKs in a local key store",
            "created with the home, each identity allowed only what the key policy grants it, every key use audited;",
            "the orders and payments KEKs at start, others with 'ciphertrail keys create'), the CA and client",
            "certificates with least-privilege ACLs, and the policy service. With --nodes 3, Kafka is a cluster of",
            "three such nodes, each in a process of its own, every topic on three replicas with two in sync.",
            "The key service, the policy service and the demo's workloads hold short-lived certificates in memory only,",
            "renewed at half life; the administrator's key store file lives 7 days (renewed by 'up' once past half of it,",
            "or with 'ciphertrail certs renew'). Everything lives under the owner-only home directory and survives",
            "restarts. One platform runs per home: a second start of a running home is refused.",
            "",
            "It says it is up once every part is ready (the broker(s), the key service, the policy gate RUNNING), and keeps",
            "watching: when one goes down, it says so, stops the rest and exits 1. Ctrl-C stops cleanly."})
final class UpCommand implements Callable<Integer> {
    /** How long the parts may take to be ready (the gate's first rebalance, a broker recovering its log). */
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);

    @Spec
    CommandSpec spec;

    @Option(names = "--home", defaultValue = Home.DEFAULT, description = "Where keys, certificates and broker data live (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--nodes", defaultValue = "1",
            description = "Kafka nodes: 1 (in this process) or 3 (a cluster, each node in a process of its own) (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--port", defaultValue = "" + LocalPlatform.DEFAULT_TLS_PORT,
            description = "Port of the (first node's) TLS listener; a free one is used if it is taken (default: ${DEFAULT-VALUE}).")
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
        requireNodes(spec, nodes);
        out.println("Starting Ciphertrail in " + layout.root() + " ...");
        out.flush();
        LocalPlatform platform = LocalPlatform.start(layout, nodes, port, plaintextPort, httpPort, keysPort);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<String> down = new AtomicReference<>();
        AtomicBoolean stopped = new AtomicBoolean();
        ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ciphertrail-up-watch");
            thread.setDaemon(true);
            return thread;
        });
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                watcher.shutdownNow();
                out.println("Stopping ...");
                out.flush();
                platform.close();
                out.println("Stopped. Keys, certificates and data stay in " + layout.root());
                out.flush();
            }
        };
        Thread hook = new Thread(() -> {
            stop.run();
            done.countDown();
        }, "ciphertrail-up-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            PlatformWatch.awaitReady(platform, out, READY_TIMEOUT);
        } catch (RuntimeException e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            stop.run();
            throw e;
        }
        describe(platform, out);
        out.println();
        out.println("Try:  echo 'hello' | ./ciphertrail produce --topic orders.ingress" + layout.argument());
        out.println("      ./ciphertrail consume --topic orders --from-beginning --max-records 1 --print-trace" + layout.argument());
        out.println("      ./ciphertrail consume --topic orders --share-group workers --from-beginning --print-trace" + layout.argument()
                + "   # a queue: run two");
        out.println("Press Ctrl-C to stop.");
        out.flush();
        watch(platform, out, watcher, problem -> {
            down.compareAndSet(null, problem);
            done.countDown();
        });
        done.await();
        if (down.get() == null) {
            return 0;
        }
        spec.commandLine().getErr().println(Errors.prefix(spec.commandLine()) + down.get() + ". Stopping the rest; see the log above,"
                + " then start again with 'ciphertrail up" + layout.argument() + "'.");
        spec.commandLine().getErr().flush();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is stopping anyway
        }
        stop.run();
        return Errors.FAILED;
    }

    /** A cluster of three is what keeps every promise when a node fails; one is the quick local default. */
    static void requireNodes(CommandSpec spec, int nodes) {
        if (nodes != 1 && nodes != 3) {
            throw new ParameterException(spec.commandLine(), "--nodes takes 1 (one broker in this process) or 3 (a cluster"
                    + " whose every topic has three replicas, two in sync), not " + nodes);
        }
    }

    /** Prints what the policy service reports about writing, as it changes, and reports the first part that goes down. */
    private static void watch(LocalPlatform platform, PrintWriter out, ScheduledExecutorService watcher, Consumer<String> onDown) {
        ServiceWatch writes = new ServiceWatch();
        watcher.scheduleWithFixedDelay(() -> {
            String line = writes.update(platform.service().writes());
            if (line != null) {
                out.println(line);
                out.flush();
            }
            String problem = PlatformWatch.problem(platform);
            if (problem != null) {
                out.println("Down: " + problem);
                out.flush();
                onDown.accept(problem);
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    /** What is running and where its settings are; shared with the demo. */
    static void describe(LocalPlatform platform, PrintWriter out) {
        Home home = platform.home();
        out.println();
        out.println("Ciphertrail is up. Listeners:");
        platform.kafka().listeners().forEach((name, addresses) -> {
            for (String address : addresses.split(",")) {
                out.println("  " + name + "://" + address
                        + (name.equals("PLAINTEXT") ? "   (refused by the broker: STRICT mode; here to show it)" : "   (mutual TLS)"));
            }
        });
        if (platform.kafka() instanceof MultiNodeSecureKafka cluster) {
            out.println("Kafka nodes:           " + cluster.nodes().size() + ", each a broker and controller in a process of its own,"
                    + " every topic on " + BrokerSettings.replicationFactor(cluster.nodes().size()) + " replicas with "
                    + BrokerSettings.minInSyncReplicas(cluster.nodes().size()) + " in sync; logs in " + home.cluster() + "/node-*/node.log");
        }
        out.println("bootstrap.servers=" + platform.kafka().bootstrapServers());
        platform.brokerCertificates().ifPresent(renewer -> {
            CertificateInfo broker = CertificateInfo.of(renewer.current().certificate());
            out.println("Broker certificate:    serial " + broker.serialHex() + " from the workload CA, valid until " + broker.notAfter()
                    + " (" + broker.timeLeft(Instant.now()) + "); renewed at about half life without a restart, each renewal logged");
        });
        out.println("Client property files: " + home.clients() + "/{" + String.join(",", LocalPlatform.CLIENT_IDENTITIES) + "}.properties");
        out.println("CA certificate:        " + home.ca().resolve(CertificateAuthority.CERTIFICATE_FILE));
        out.println("Identities:");
        platform.identities().describe(home).forEach(line -> out.println("  " + line));
        out.println("Key service:           " + platform.keyServiceUrl() + " (mutual TLS; health and metrics on http://127.0.0.1:"
                + platform.keyService().managementPort() + ")");
        out.println("Key policy:            " + home.keyPolicy() + " (who may use which key; edits apply without a restart)");
        out.println("KEK store:             " + home.kmsKeyStore() + " (back it up; opened by the key service only;"
                + " a topic's KEK: ciphertrail keys create --topic T)");
        out.println("Policies:              " + platform.policies());
        out.println("Policy service:        http://127.0.0.1:" + platform.service().httpPort() + "/health and /metrics");
    }
}
