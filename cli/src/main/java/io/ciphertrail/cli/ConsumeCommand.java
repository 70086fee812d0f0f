package io.ciphertrail.cli;

import io.ciphertrail.consumer.RecordDecryptionException;
import io.ciphertrail.consumer.SecureConsumer;
import io.ciphertrail.consumer.SecureShareConsumer;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints decrypted, verified record values, one per line. */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = {
            "Prints decrypted and verified record values, one per line, on standard output.",
            "",
            "A record that fails (not encrypted, tampered, unknown key) stops the command with exit code 1,",
            "naming its partition, offset and reason; nothing is skipped.",
            "",
            "With --share-group it reads as one member of a share group (a queue): members split the records,",
            "each is acknowledged once printed, and one that fails is set aside by the consumer's",
            "ciphertrail.consumer.share.failure.policy (REJECT unless configured) and reported on standard error."})
final class ConsumeCommand implements Callable<Integer> {
    private static final Duration POLL = Duration.ofMillis(500);
    /** More records than this are not worth taking at once when only a few are wanted. */
    private static final int MAX_BATCH = 500;

    @Spec
    CommandSpec spec;

    @Mixin
    ClientSettings settings;

    @Option(names = "--topic", required = true, description = "Topic to read.")
    String topic;

    @Option(names = "--from-beginning", description = "Start at the oldest record instead of new ones (a share group: only when it is new).")
    boolean fromBeginning;

    @Option(names = "--max-records", paramLabel = "N", description = "Stop after N records.")
    Long maxRecords;

    @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "30000",
            description = "With --max-records: give up after this long without the next record (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @ArgGroup(exclusive = true)
    Membership membership = new Membership();

    static final class Membership {
        @Option(names = "--group", description = "Consumer group; offsets are committed only when one is given.")
        String group;

        @Option(names = "--share-group", paramLabel = "GROUP",
                description = "Read as a member of this share group (a queue), acknowledging each record once printed.")
        String shareGroup;
    }

    @Option(names = "--print-key", description = "Print KEY<TAB>VALUE.")
    boolean printKey;

    @Option(names = "--print-trace", description = "Print TRACE-ID<TAB>VALUE.")
    boolean printTrace;

    private PrintWriter out;
    private PrintWriter err;
    private Progress progress;

    /** One poll of whichever consumer runs; throws {@link WakeupException} when stopped. */
    @FunctionalInterface
    private interface Poller {
        ConsumerRecords<String, String> poll();
    }

    /** What to do with a record: print it (returns true), or leave it (false) because enough were printed. */
    @FunctionalInterface
    private interface Handler {
        boolean handle(ConsumerRecord<String, String> record);
    }

    @Override
    public Integer call() {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        progress = new Progress(err, "read");
        return membership.shareGroup != null ? consumeShared(membership.shareGroup) : consumeOrdered();
    }

    private Integer consumeOrdered() {
        Map<String, Object> consumerSettings = settings.load(LocalPlatform.CONSUMER);
        String group = membership.group;
        consumerSettings.put(ConsumerConfig.GROUP_ID_CONFIG, group != null ? group : "ciphertrail-cli-" + UUID.randomUUID());
        consumerSettings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, group != null);
        consumerSettings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        consumerSettings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(consumerSettings, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            if (!readUntilDone(consumer::wakeup, () -> consumer.poll(POLL), this::print)) {
                return Errors.FAILED;
            }
        } catch (RecordDecryptionException e) {
            out.flush();
            err.println("Stopped at a record that cannot be read: " + e.getMessage());
            return Errors.FAILED;
        }
        err.printf("Read %,d records from %s%n", progress.count(), topic);
        return 0;
    }

    /** As a share-group member: explicit acknowledgement, so a record is accepted only once printed and the rest given back. */
    private Integer consumeShared(String group) {
        Map<String, Object> consumerSettings = settings.load(LocalPlatform.CONSUMER);
        consumerSettings.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        consumerSettings.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        if (maxRecords != null) {
            // Take no more than is wanted, so what is left stays with the other members.
            consumerSettings.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
            consumerSettings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, (int) Math.min(maxRecords, MAX_BATCH));
        }
        if (fromBeginning) {
            ShareGroups.startAtEarliest(consumerSettings, group);
        }
        long[] setAside = {0};
        try (SecureShareConsumer<String, String> consumer = new SecureShareConsumer<>(consumerSettings, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.setFailureListener(failure -> {
                setAside[0]++;
                err.println(failure);
                err.flush();
            });
            consumer.subscribe(List.of(topic));
            boolean done = readUntilDone(consumer::wakeup, () -> consumer.poll(POLL), record -> {
                boolean printed = print(record);
                consumer.acknowledge(record, printed ? AcknowledgeType.ACCEPT : AcknowledgeType.RELEASE);
                return printed;
            });
            consumer.commitSync();
            if (!done) {
                return Errors.FAILED;
            }
        }
        err.printf("Read %,d records from %s as a member of share group %s%s%n", progress.count(), topic, group,
                setAside[0] == 0 ? "" : "; set aside " + setAside[0] + " that failed (above)");
        return 0;
    }

    /**
     * Polls and handles records until --max-records were printed (true), Ctrl-C (true), or none came
     * for --timeout-ms while more were wanted (false).
     */
    private boolean readUntilDone(Runnable wakeup, Poller poller, Handler handler) {
        Thread main = Thread.currentThread();
        Thread stopper = new Thread(wakeup, "ciphertrail-consume-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        long lastRecord = System.nanoTime();
        try {
            while (!enough()) {
                for (ConsumerRecord<String, String> record : poller.poll()) {
                    if (handler.handle(record)) {
                        lastRecord = System.nanoTime();
                    }
                }
                out.flush();
                if (maxRecords != null && !enough() && System.nanoTime() - lastRecord > Duration.ofMillis(timeoutMs).toNanos()) {
                    err.printf("Read %,d of %,d records; none arrived for %d ms%n", progress.count(), maxRecords, timeoutMs);
                    return false;
                }
            }
        } catch (WakeupException stopped) {
            // Ctrl-C: a clean close follows.
        } finally {
            out.flush();
            if (Thread.currentThread() == main) {
                try {
                    Runtime.getRuntime().removeShutdownHook(stopper);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is already stopping
                }
            }
        }
        return true;
    }

    private boolean enough() {
        return maxRecords != null && progress.count() >= maxRecords;
    }

    /** Prints the record unless enough were printed already. */
    private boolean print(ConsumerRecord<String, String> record) {
        if (enough()) {
            return false;
        }
        StringBuilder line = new StringBuilder();
        if (printTrace) {
            line.append(SecureConsumer.traceId(record).orElse("-")).append('\t');
        }
        if (printKey) {
            line.append(record.key()).append('\t');
        }
        out.println(line.append(record.value()));
        progress.tick();
        return true;
    }
}
