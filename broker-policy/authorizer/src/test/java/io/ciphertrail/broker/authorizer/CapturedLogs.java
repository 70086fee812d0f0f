package io.ciphertrail.broker.authorizer;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A logback appender that keeps every formatted line of the test JVM, for assertions on logs. */
public final class CapturedLogs extends AppenderBase<ILoggingEvent> {
    private static final List<String> LINES = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ').append(event.getFormattedMessage());
        if (event.getThrowableProxy() != null) {
            line.append(' ').append(event.getThrowableProxy().getClassName()).append(": ").append(event.getThrowableProxy().getMessage());
        }
        LINES.add(line.toString());
    }

    /** Every line logged so far, as "logger message". */
    public static List<String> lines() {
        return List.copyOf(LINES);
    }

    /** Lines of the audit logger only. */
    public static List<String> auditLines() {
        return LINES.stream().filter(l -> l.startsWith("io.ciphertrail.audit ")).toList();
    }
}
