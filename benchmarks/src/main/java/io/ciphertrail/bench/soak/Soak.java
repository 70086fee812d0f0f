package io.ciphertrail.bench.soak;

import io.ciphertrail.faults.DeliveryLedger;
import io.ciphertrail.faults.DeliveryReport;
import io.ciphertrail.faults.LiveConsumer;
import io.ciphertrail.faults.NumberedProducer;
import io.ciphertrail.faults.Pacer;
import io.ciphertrail.faults.TopicContents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The soak: {@code --minutes} of steady secure traffic ({@code --rate} records a second, one in
 * {@code --legacy-every} from a client that skips encryption, which the gate must quarantine) through the
 * policy gate on a three-node cluster, with a fault every {@code --fault-every-seconds}. The minutes start once
 * the traffic is warm (the consumer keeps up with the producer, or after two minutes), so that the first
 * fault does not meet JVMs still compiling. At the end it reads egress and quarantine to their ends and
 * reports what the ledger counted; see {@link SoakReport}.
 *
 * <pre>
 * java -cp ... io.ciphertrail.bench.soak.Soak --work DIR --out DIR [--minutes 10] [--rate 200] [--value-bytes 512]
 *      [--fault-every-seconds 60] [--legacy-every 100] [--seed 1]
 * </pre>
 * Exits 0 when no acknowledged record was lost and none duplicated, 1 otherwise.
 */
public final class Soak {
    /** How long after the traffic stops the consumer gets to read the last records. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    /** The longest the traffic may take to warm up before the measured minutes begin anyway. */
    private static final Duration WARM_UP_LIMIT = Duration.ofMinutes(2);

    private Soak() {
    }

    record Settings(Path work, Path out, int minutes, double rate, int valueBytes, int faultEverySeconds, int legacyEvery, long seed) {
        static Settings parse(String[] args) {
            Path work = null;
            Path out = null;
            int minutes = 10;
            double rate = 200;
            int valueBytes = 512;
            int faultEvery = 60;
            int legacyEvery = 100;
            long seed = 1;
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--work" -> work = Path.of(value);
                    case "--out" -> out = Path.of(value);
                    case "--minutes" -> minutes = Integer.parseInt(value);
                    case "--rate" -> rate = Double.parseDouble(value);
                    case "--value-bytes" -> valueBytes = Integer.parseInt(value);
                    case "--fault-every-seconds" -> faultEvery = Integer.parseInt(value);
                    case "--legacy-every" -> legacyEvery = Integer.parseInt(value);
                    case "--seed" -> seed = Long.parseLong(value);
                    default -> throw new IllegalArgumentException("Unknown option " + args[i]);
                }
                i++;
            }
            if (work == null || out == null) {
                throw new IllegalArgumentException("--work and --out are required");
            }
            if (minutes < 1 || rate <= 0 || faultEvery < 10 || legacyEvery < 2) {
                throw new IllegalArgumentException("Need --minutes >= 1, --rate > 0, --fault-every-seconds >= 10, --legacy-every >= 2");
            }
            return new Settings(work, out, minutes, rate, valueBytes, faultEvery, legacyEvery, seed);
        }

        boolean legacy(long number) {
            return number % legacyEvery == legacyEvery - 1;
        }
    }

    public static void main(String[] args) throws Exception {
        Settings settings = Settings.parse(args);
        Files.createDirectories(settings.work());
        Files.createDirectories(settings.out());
        int exit;
        try (SoakPlatform platform = SoakPlatform.start(settings.work(), Soak::say)) {
            exit = run(settings, platform);
        }
        System.exit(exit);
    }

    private static int run(Settings settings, SoakPlatform platform) throws Exception {
        DeliveryLedger ledger = new DeliveryLedger();
        LatencyTimeline timeline = new LatencyTimeline();
        FaultInjector injector = new FaultInjector(platform, settings.seed());
        List<Fault> faults = new ArrayList<>();
        AtomicBoolean sending = new AtomicBoolean(true);
        try (NumberedProducer encrypted = NumberedProducer.secure(platform.producerSettings(), SoakPlatform.GATE.ingress(), ledger, settings.valueBytes());
             NumberedProducer legacy = NumberedProducer.plain(platform.legacySettings(), SoakPlatform.GATE.ingress(), ledger, settings.valueBytes());
             LiveConsumer consumer = new LiveConsumer(platform.consumerSettings(), SoakPlatform.GATE.egress(), SoakPlatform.CONSUMER + "-soak",
                     ledger, timeline)) {
            Thread sender = new Thread(() -> {
                Pacer pacer = new Pacer(settings.rate());
                for (long number = 0; sending.get(); number++) {
                    pacer.awaitTurn(number);
                    (settings.legacy(number) ? legacy : encrypted).send(number);
                }
            }, "soak-sender");
            sender.start();
            say("Warming up at " + (long) settings.rate() + " records/s of " + settings.valueBytes() + " bytes through the gate");
            awaitWarm(ledger, consumer, settings);
            long start = System.currentTimeMillis();
            long end = start + Duration.ofMinutes(settings.minutes()).toMillis();
            timeline.startAt(start);
            say("Soak: " + settings.minutes() + " min, a fault every " + settings.faultEverySeconds() + " s");

            for (int i = 0; ; i++) {
                long due = start + (long) ((i + 0.5) * settings.faultEverySeconds() * 1000);
                if (due >= end) {
                    break;
                }
                awaitUntil(due, ledger, consumer, start);
                FaultKind kind = injector.next();
                say("Fault " + (i + 1) + ": " + kind.label() + " ...");
                Fault fault = injector.inject(kind);
                faults.add(fault);
                say("Fault " + (i + 1) + " over after " + (fault.endMillis() - fault.startMillis()) / 1000 + " s: " + fault.detail());
                if (consumer.error() != null) {
                    throw new IllegalStateException("The consumer stopped on an error", consumer.error());
                }
            }
            awaitUntil(end, ledger, consumer, start);
            sending.set(false);
            sender.join();
            encrypted.flush();
            legacy.flush();
            say("Traffic stopped: " + ledger.sentCount() + " sent; waiting for the consumer to read the last of them");
            long drainDeadline = System.currentTimeMillis() + DRAIN_TIMEOUT.toMillis();
            while (System.currentTimeMillis() < drainDeadline && consumer.error() == null
                    && !ledger.acknowledgedNotIn(withLegacy(consumer.numbers(), ledger.sentCount(), settings)).isEmpty()) {
                Thread.sleep(500);
            }
            if (consumer.error() != null) {
                throw new IllegalStateException("The consumer stopped on an error", consumer.error());
            }
        }
        say("Reading egress and quarantine to their ends");
        TopicContents.readSecure(platform.consumerSettings(), SoakPlatform.GATE.egress(), ledger);
        TopicContents.readKeys(platform.consumerSettings(), SoakPlatform.GATE.quarantine(), ledger);
        DeliveryReport report = ledger.report();
        long start = timeline.startMillis();
        SoakReport.write(settings, report, faults, timeline.seconds((System.currentTimeMillis() - start) / 1000), timeline, start);
        return report.lost().isEmpty() && report.duplicated().isEmpty() ? 0 : 1;
    }

    /** The consumer's records and, as if received, every unencrypted number: those go to quarantine, not to it. */
    private static Set<Long> withLegacy(Set<Long> received, long sent, Settings settings) {
        Set<Long> expected = new HashSet<>(received);
        for (long number = settings.legacyEvery() - 1; number < sent; number += settings.legacyEvery()) {
            expected.add(number);
        }
        return expected;
    }

    /**
     * Waits until the traffic is warm: at least ten seconds of it acknowledged, and the consumer within two
     * seconds' worth of records of the producer (or {@link #WARM_UP_LIMIT} has passed).
     */
    private static void awaitWarm(DeliveryLedger ledger, LiveConsumer consumer, Settings settings) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WARM_UP_LIMIT.toMillis();
        while (System.currentTimeMillis() < deadline
                && (ledger.acknowledgedCount() < settings.rate() * 10 || consumer.received() < ledger.acknowledgedCount() - settings.rate() * 2)) {
            Thread.sleep(1_000);
        }
        say(String.format("Warm: acknowledged %,d  received %,d", ledger.acknowledgedCount(), consumer.received()));
    }

    /** Waits until {@code due}, saying every ten seconds how the traffic goes. */
    private static void awaitUntil(long due, DeliveryLedger ledger, LiveConsumer consumer, long start) throws InterruptedException {
        while (System.currentTimeMillis() < due) {
            Thread.sleep(Math.min(10_000, Math.max(1, due - System.currentTimeMillis())));
            say(String.format("t=%4d s  acknowledged %,d  received %,d", (System.currentTimeMillis() - start) / 1000,
                    ledger.acknowledgedCount(), consumer.received()));
        }
    }

    static void say(String message) {
        System.out.printf("[soak %s] %s%n", LocalTime.now().format(CLOCK), message);
        System.out.flush();
    }
}
