package io.ciphertrail.cli;

import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.producer.SecureProducerConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Sends one record per line of standard input through the secure producer. */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {
            "Sends one record per line of standard input, encrypted, with a trace ID.",
            "",
            "A topic ending in .ingress is encrypted for the topic without the suffix, which is where the",
            "policy gate forwards it (override with --encrypt-for)."})
final class ProduceCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientSettings settings;

    @Option(names = "--topic", required = true, description = "Topic to send to.")
    String topic;

    @Option(names = "--encrypt-for", paramLabel = "TOPIC", description = "Topic the records are encrypted for (its readers decrypt them).")
    String encryptFor;

    @Option(names = "--key-separator", paramLabel = "SEP", description = "Split each line at the first SEP into key and value.")
    String keySeparator;

    @Option(names = "--header", paramLabel = "NAME=VALUE", description = "A header for every record; repeatable.")
    List<String> headers = new ArrayList<>();

    @Option(names = "--print-trace", description = "Print each record's trace ID on standard output.")
    boolean printTrace;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Object> producerSettings = settings.load(LocalPlatform.PRODUCER);
        String bound = encryptFor != null ? encryptFor : topic.endsWith(".ingress") ? topic.substring(0, topic.length() - ".ingress".length()) : topic;
        if (!bound.equals(topic)) {
            producerSettings.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, topic + ":" + bound);
        }
        if (settings.config == null && !bound.equals(topic)) {
            LocalPlatform.openRoute(settings.load(LocalPlatform.ADMIN), topic, bound);
        } else if (settings.config == null) {
            Topics.ensure(settings.load(LocalPlatform.ADMIN), topic);
        }
        Progress progress = new Progress(err, "sent");
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (SecureProducer<String, String> producer = new SecureProducer<>(producerSettings, new StringSerializer(), new StringSerializer());
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null && failure.get() == null; line = in.readLine()) {
                String key = null;
                String value = line;
                if (keySeparator != null && line.contains(keySeparator)) {
                    key = line.substring(0, line.indexOf(keySeparator));
                    value = line.substring(line.indexOf(keySeparator) + keySeparator.length());
                }
                RecordHeaders recordHeaders = new RecordHeaders();
                for (String header : headers) {
                    int equals = header.indexOf('=');
                    if (equals <= 0) {
                        throw new IllegalArgumentException("--header takes NAME=VALUE, got: " + header);
                    }
                    recordHeaders.add(header.substring(0, equals), header.substring(equals + 1).getBytes(StandardCharsets.UTF_8));
                }
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, null, key, value, recordHeaders);
                producer.send(record, (metadata, exception) -> {
                    if (exception != null) {
                        failure.compareAndSet(null, exception);
                    }
                });
                if (printTrace) {
                    out.println(SecureProducer.traceId(record).orElse(""));
                }
                progress.tick();
            }
            producer.flush();
        }
        out.flush();
        if (failure.get() != null) {
            throw new IllegalStateException("Sending to '" + topic + "' failed: " + failure.get().getMessage(), failure.get());
        }
        err.printf("Sent %,d records to %s (encrypted for %s)%n", progress.count(), topic, bound);
        err.flush();
        return 0;
    }
}
