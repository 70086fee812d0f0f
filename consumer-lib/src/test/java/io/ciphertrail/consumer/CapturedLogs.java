package io.ciphertrail.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Everything logged while a test runs, Kafka's own configuration dumps included (where a leaked
 * password would show first), to prove that no secret and no record content reached a log.
 */
final class CapturedLogs {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Logger kafkaClients = (Logger) LoggerFactory.getLogger("org.apache.kafka.clients");

    void start() {
        appender.list.clear();
        appender.start();
        root.addAppender(appender);
        kafkaClients.setLevel(Level.INFO);
    }

    void stop() {
        root.detachAppender(appender);
        kafkaClients.setLevel(Level.WARN);
    }

    /** Each event's message followed by its exception's message. */
    List<String> lines() {
        return appender.list.stream()
                .map(e -> e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage()))
                .toList();
    }

    /** Stops capturing and checks that none of {@code secrets} was logged. */
    void stopAndAssertNoneOf(String... secrets) {
        stop();
        for (String line : lines()) {
            for (String secret : secrets) {
                assertThat(line).doesNotContain(secret);
            }
        }
    }
}
