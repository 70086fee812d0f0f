package io.ciphertrail.cli;

import io.ciphertrail.consumer.RecordDecryptionException;
import io.ciphertrail.consumer.SecureConsumer;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints decrypted, verified record values, one per line. */
@Command(name = "consume",
        description = {
            "Prints decrypted and verified record values, one per line, on standard output.",
            "",
            "A record that fails (not encrypted, tampered, unknown key) stops the command with exit code 1,",
            "naming its partition, offset and reason; nothing is skipped."})
final class ConsumeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientSettings settings;

    @Option(names = "--topic", required = true, description = "Topic to read.")
    String topic;

    @Option(names = "--from-beginning", description = "Start at the oldest record instead of new ones.")
    boolean fromBeginning;

    @Option(names = "--max-records", paramLabel = "N", description = "Stop after N records.")
    Long maxRecords;

    @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "30000",
            description = "With --max-records: give up after this long without the next record (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Option(names = "--group", description = "Consumer group; offsets are committed only when one is given.")
    String group;

    @Option(names = "--print-key", description = "Print KEY<TAB>VALUE.")
    boolean printKey;

    @Option(names = "--print-trace", description = "Print TRACE-ID<TAB>VALUE.")
    boolean printTrace;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Object> consumerSettings = settings.kafka(LocalPlatform.CONSUMER);
        consumerSettings.put(ConsumerConfig.GROUP_ID_CONFIG, group != null ? group : "ciphertrail-cli-" + UUID.randomUUID());
        consumerSettings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, group != null);
        consumerSettings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        consumerSettings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Progress progress = new Progress(err, "read");
        try (SecureConsumer<String, String> consumer = new SecureConsumer<>(consumerSettings, new StringDeserializer(), new StringDeserializer())) {
            Thread main = Thread.currentThread();
            Thread stopper = new Thread(consumer::wakeup, "ciphertrail-consume-stop");
            Runtime.getRuntime().addShutdownHook(stopper);
            if (consumer.partitionsFor(topic, Duration.ofSeconds(15)).isEmpty()) {
                throw new IllegalStateException("Topic '" + topic + "' does not exist (or is not visible to this identity);"
                        + " check the name, or create it by producing to it");
            }
            consumer.subscribe(List.of(topic));
            if (maxRecords == null) {
                err.println("Waiting for records on " + topic + (fromBeginning ? " from the beginning" : " (new ones only; --from-beginning for older)")
                        + "; Ctrl-C to stop");
                err.flush();
            }
            long lastRecord = System.nanoTime();
            try {
                while (maxRecords == null || progress.count() < maxRecords) {
                    var records = consumer.poll(Duration.ofMillis(500));
                    for (ConsumerRecord<String, String> record : records) {
                        StringBuilder line = new StringBuilder();
                        if (printTrace) {
                            line.append(SecureConsumer.traceId(record).orElse("-")).append('\t');
                        }
                        if (printKey) {
                            line.append(record.key()).append('\t');
                        }
                        out.println(line.append(record.value()));
                        progress.tick();
                        lastRecord = System.nanoTime();
                        if (maxRecords != null && progress.count() >= maxRecords) {
                            break;
                        }
                    }
                    out.flush();
                    if (maxRecords != null && System.nanoTime() - lastRecord > Duration.ofMillis(timeoutMs).toNanos()) {
                        err.printf("Read %,d of %,d records; none arrived for %d ms%n", progress.count(), maxRecords, timeoutMs);
                        return 1;
                    }
                }
            } catch (WakeupException stopped) {
                // Ctrl-C: fall through to a clean close.
            } catch (RecordDecryptionException e) {
                out.flush();
                err.println("Stopped at a record that cannot be read: " + e.getMessage());
                return 1;
            } finally {
                if (Thread.currentThread() == main) {
                    try {
                        Runtime.getRuntime().removeShutdownHook(stopper);
                    } catch (IllegalStateException shuttingDown) {
                        // the JVM is already stopping
                    }
                }
            }
        }
        out.flush();
        err.printf("Read %,d records from %s%n", progress.count(), topic);
        return 0;
    }
}
