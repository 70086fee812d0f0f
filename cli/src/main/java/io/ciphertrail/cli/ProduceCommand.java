package io.ciphertrail.cli;

import io.ciphertrail.producer.SecureProducer;
import io.ciphertrail.producer.SecureProducerConfig;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/** Sends one record per line of standard input through the secure producer, and counts what the brokers acknowledged. */
@Command(name = "produce",
        description = {
            "Sends one record per line of standard input, encrypted, with a trace ID.",
            "",
            "A topic ending in .ingress is encrypted for the topic without the suffix, which is where the",
            "policy gate forwards it (override with --encrypt-for).",
            "",
            "Lines end at \\n (\\r\\n too); a lone \\r is part of the line. Text must be UTF-8: a line that is not stops",
            "the command naming it. Progress and the summary count what the brokers acknowledged. On Ctrl-C or SIGTERM",
            "the command stops reading, waits for what it sent, and says which line to resend from.",
            "",
            "Exit status: 0 every line acknowledged; 1 a line failed or could not be read (the summary names the first",
            "line not acknowledged); 130 (Ctrl-C) or 143 (SIGTERM) stopped early with every line read acknowledged."})
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

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "How each line (and key) becomes bytes: text (UTF-8, the default), base64 or hex (for binary values).")
    String format;

    @Option(names = "--header", paramLabel = "NAME=VALUE", description = "A header for every record; repeatable.")
    List<String> headers = new ArrayList<>();

    @Option(names = "--print-trace", description = "Print each record's trace ID on standard output.")
    boolean printTrace;

    /** What the brokers acknowledged of the lines sent, and where a resend starts. */
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final ConcurrentSkipListSet<Long> unacknowledged = new ConcurrentSkipListSet<>();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final Object sending = new Object();
    /** The first signal that stopped the command, set under {@link #sending}. */
    private volatile Signal stoppedBy;
    /** What stopped the sending early, a bad line or an error (unless a signal came first); rethrown after the summary. */
    private volatile RuntimeException stoppedWith;
    private volatile long read;
    private volatile boolean endOfInput;
    /** The exit status, decided once with the summary (under this object's lock); null until then. */
    private Integer status;

    @Override
    public Integer call() throws Exception {
        InputLines.Format lineFormat = format();
        RecordHeaders recordHeaders = headers();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Object> producerSettings = settings.kafka(LocalPlatform.PRODUCER);
        String bound = encryptFor != null ? encryptFor : topic.endsWith(".ingress") ? topic.substring(0, topic.length() - ".ingress".length()) : topic;
        if (!bound.equals(topic)) {
            producerSettings.put(SecureProducerConfig.BOUND_TOPICS_CONFIG, topic + ":" + bound);
        }
        if (settings.config == null && !bound.equals(topic)) {
            LocalPlatform.openRoute(settings.kafka(LocalPlatform.ADMIN), topic, bound);
        } else if (settings.config == null) {
            Topics.ensure(settings.kafka(LocalPlatform.ADMIN), topic);
        } else if (!Topics.names(producerSettings).contains(topic)) {
            // Another cluster's brokers create no topics either: say so now rather than after the metadata timeout.
            throw new IllegalStateException("Topic '" + topic + "' does not exist (or is not visible to this identity);"
                    + " check the name, or have it created (the brokers do not create topics on first write)");
        }
        Progress progress = new Progress(err, "acknowledged");
        InputLines lines = new InputLines(System.in);
        SecureProducer<byte[], byte[]> producer = new SecureProducer<>(producerSettings, new ByteArraySerializer(), new ByteArraySerializer());
        // The handlers stay until the summary is out: a signal while the last records wait for the brokers (or one
        // that comes with the end of input, as when a pipeline is torn down) still says what was acknowledged.
        Map<Signal, SignalHandler> previous = onSignals(producer, bound, err);
        int exit;
        try {
            try (producer) {
                send(producer, lines, lineFormat, recordHeaders, progress, out);
            } finally {
                out.flush();
            }
            exit = summary(bound, err);
        } finally {
            // A process that exits with this status keeps the handlers to the end: a signal after the summary exits
            // with the summary's status, not the JVM's 128 + n. Run in-process, the caller gets its own back.
            if (!Ciphertrail.exitsAfterCommand) {
                previous.forEach(Signal::handle);
            }
        }
        if (exit == Errors.FAILED && failure.get() != null) {
            throw new IllegalStateException("Sending to '" + topic + "' failed: " + Errors.describe(failure.get()), failure.get());
        }
        if (exit == Errors.FAILED && stoppedWith != null) {
            throw stoppedWith;
        }
        return exit;
    }

    /**
     * Sends line after line until the input ends, a send fails, a line is bad, an error stops it (both kept for the
     * summary, which names the line) or a signal stops it.
     */
    private void send(SecureProducer<byte[], byte[]> producer, InputLines lines, InputLines.Format lineFormat,
                      RecordHeaders recordHeaders, Progress progress, PrintWriter out) {
        try {
            for (byte[] line = lines.next(); line != null && failure.get() == null; line = lines.next()) {
                long number = lines.number();
                ProducerRecord<byte[], byte[]> record = record(line, number, lineFormat, recordHeaders);
                synchronized (sending) {
                    if (stoppedBy != null) {
                        return;
                    }
                    read = number;
                    unacknowledged.add(number);
                    producer.send(record, (metadata, exception) -> {
                        if (exception != null) {
                            failed.incrementAndGet();
                            failure.compareAndSet(null, exception);
                        } else {
                            unacknowledged.remove(number);
                            acknowledged.incrementAndGet();
                            progress.tick();
                        }
                    });
                }
                if (printTrace) {
                    out.println(SecureProducer.traceId(record).orElse(""));
                }
            }
            synchronized (sending) {
                endOfInput = failure.get() == null && stoppedBy == null;
            }
        } catch (RuntimeException e) {
            synchronized (sending) {
                if (stoppedBy == null) {
                    stoppedWith = e;
                }
            }
        }
    }

    /**
     * Ctrl-C and SIGTERM: stop reading, wait for what was sent, print the summary, exit with 128 + the signal's number
     * (1 when something was not acknowledged). Only the process that owns the terminal gets these, so the handlers are
     * the command's while it runs.
     */
    private Map<Signal, SignalHandler> onSignals(SecureProducer<byte[], byte[]> producer, String bound, PrintWriter err) {
        Map<Signal, SignalHandler> previous = new java.util.HashMap<>();
        for (String name : List.of("INT", "TERM")) {
            try {
                Signal signal = new Signal(name);
                previous.put(signal, Signal.handle(signal, caught -> {
                    synchronized (sending) {
                        if (stoppedBy == null && !endOfInput && stoppedWith == null) {
                            stoppedBy = caught;
                        }
                    }
                    try {
                        producer.flush();
                    } catch (RuntimeException e) {
                        // Interrupted: the callbacks' counts are what the summary reports either way.
                    }
                    System.exit(summary(bound, err));
                }));
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal for itself (e.g. with -Xrs): the default behaviour stays.
            }
        }
        return previous;
    }

    /**
     * Prints once what was acknowledged and where to resume, and decides the exit status with it: 1 when a line was
     * not acknowledged or an error stopped the sending, 128 + the signal's number when a signal stopped the input
     * early, else 0. Whichever of the command and a signal handler comes second gets the same status, and only once
     * the summary is out.
     */
    private synchronized int summary(String bound, PrintWriter err) {
        if (status != null) {
            return status;
        }
        long acked = acknowledged.get();
        StringBuilder line = new StringBuilder(String.format("Acknowledged %,d of %,d records sent to %s (encrypted for %s)", acked, read, topic, bound));
        if (failed.get() > 0) {
            line.append(String.format("; %,d failed", failed.get()));
        }
        Long first = unacknowledged.isEmpty() ? null : unacknowledged.first();
        RuntimeException error = stoppedWith;
        if (first == null && error instanceof InputLines.BadLine bad) {
            first = bad.line;
        }
        Signal stopped = stoppedBy;
        if (first != null) {
            line.append("; first line not acknowledged: ").append(first).append(" (resend from there: tail -n +").append(first).append(" FILE)");
        } else if (stopped != null) {
            line.append("; stopped by SIG").append(stopped.getName()).append(" after line ").append(read)
                    .append(" (continue from line ").append(read + 1).append(')');
        } else if (!endOfInput) {
            line.append("; stopped after line ").append(read);
        }
        err.println(line);
        err.flush();
        status = first != null || error != null ? Errors.FAILED : stopped != null ? 128 + stopped.getNumber() : 0;
        return status;
    }

    private ProducerRecord<byte[], byte[]> record(byte[] line, long number, InputLines.Format lineFormat, RecordHeaders recordHeaders) {
        byte[] key = null;
        byte[] value = line;
        int at = keySeparator == null ? -1 : indexOf(line, keySeparator.getBytes(StandardCharsets.UTF_8));
        if (at >= 0) {
            key = lineFormat.decode(Arrays.copyOfRange(line, 0, at), number);
            value = Arrays.copyOfRange(line, at + keySeparator.getBytes(StandardCharsets.UTF_8).length, line.length);
        }
        return new ProducerRecord<>(topic, null, key, lineFormat.decode(value, number), new RecordHeaders(recordHeaders.toArray()));
    }

    private static int indexOf(byte[] line, byte[] separator) {
        outer:
        for (int i = 0; i + separator.length <= line.length; i++) {
            for (int j = 0; j < separator.length; j++) {
                if (line[i + j] != separator[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private InputLines.Format format() {
        try {
            return InputLines.Format.valueOf(format.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw Errors.usage(spec, "--format takes text, base64 or hex; got '" + format + "'");
        }
    }

    private RecordHeaders headers() {
        RecordHeaders recordHeaders = new RecordHeaders();
        for (String header : headers) {
            int equals = header.indexOf('=');
            if (equals <= 0) {
                throw Errors.usage(spec, "--header takes NAME=VALUE, got: " + header);
            }
            recordHeaders.add(header.substring(0, equals), header.substring(equals + 1).getBytes(StandardCharsets.UTF_8));
        }
        return recordHeaders;
    }
}
