package io.ciphertrail.policy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The runnable jar logs at INFO by default, not logback's everything-at-DEBUG. */
class ServiceLoggingTest {
    @Test
    void theRunnableJarsDefaultLoggingIsInfoWithKafkaAtWarn() throws Exception {
        LoggerContext context = new LoggerContext();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(Main.class.getClassLoader().getResource(Main.LOGGING));
        assertThat(context.getLogger("io.ciphertrail.policy.gate").getEffectiveLevel()).isEqualTo(Level.INFO);
        assertThat(context.getLogger("org.apache.kafka.streams.processor.internals.StreamThread").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("org.apache.kafka.clients.NetworkClient").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("anything.else").getEffectiveLevel()).isEqualTo(Level.INFO);
        context.stop();
    }

    @Test
    void theJarStartsThroughTheEntryPointThatChoosesIt() throws Exception {
        assertThat(Files.readString(Path.of("pom.xml"))).contains("<mainClass>io.ciphertrail.policy.Main</mainClass>");
    }
}
