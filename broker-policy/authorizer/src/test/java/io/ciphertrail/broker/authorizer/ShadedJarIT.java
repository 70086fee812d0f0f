package io.ciphertrail.broker.authorizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.embedded.SecureKafkaCluster;
import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests of the packaged jar, as an operator deploys it: it bundles nothing a Kafka broker already
 * has and nothing unrelocated, and a broker whose classpath is Kafka's own jars plus this jar (no
 * Avro, no schema module) starts, denies plaintext and publishes decodable audit events.
 */
class ShadedJarIT {
    private static final String OWN_PACKAGE = "io/ciphertrail/broker/authorizer/";
    private static final String SHADED_PACKAGE = System.getProperty("authorizer.shaded.package").replace('.', '/') + "/";

    private static Path jar() {
        Path jar = Path.of(System.getProperty("authorizer.jar"));
        assertThat(jar).as("the packaged authorizer jar").exists();
        return jar;
    }

    @Test
    void jarHoldsOnlyItsOwnClassesAndRelocatedAvro() throws IOException {
        List<String> classes = new ArrayList<>();
        List<String> services = new ArrayList<>();
        try (JarFile jar = new JarFile(jar().toFile())) {
            for (JarEntry entry : Collections.list(jar.entries())) {
                if (entry.getName().endsWith(".class")) {
                    classes.add(entry.getName());
                } else if (entry.getName().startsWith("META-INF/services/") && !entry.isDirectory()) {
                    services.add(entry.getName());
                    String body = new String(jar.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8);
                    body.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                            .forEach(impl -> assertThat(impl.replace('.', '/')).as(entry.getName()).startsWith(SHADED_PACKAGE));
                }
            }
        }
        assertThat(classes).contains(OWN_PACKAGE + "SecureTransportAuthorizer.class",
                SHADED_PACKAGE + "avro/Schema.class", SHADED_PACKAGE + "schemas/audit/AuditEvent.class");
        assertThat(classes).as("every class is the authorizer's own or relocated under " + SHADED_PACKAGE)
                .allMatch(name -> name.startsWith(OWN_PACKAGE));
        assertThat(classes).noneMatch(name -> name.startsWith("org/apache/avro/") || name.startsWith("com/fasterxml/")
                || name.startsWith("org/slf4j/") || name.startsWith("org/apache/kafka/") || name.startsWith("io/ciphertrail/schemas/")
                || name.startsWith("org/apache/commons/") || name.startsWith("scala/"));
        assertThat(services).allMatch(name -> name.startsWith("META-INF/services/" + SHADED_PACKAGE.replace('/', '.')));
    }

    @Test
    void brokerWithOnlyKafkaJarsAndThisJarDeniesPlaintextAndAudits(@TempDir Path dir) throws Exception {
        Path logConfig = dir.resolve("logback.xml");
        Files.writeString(logConfig, """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%-5level %logger{36} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="org.apache.kafka" level="WARN"/>
                  <logger name="kafka" level="WARN"/>
                  <logger name="io.ciphertrail" level="INFO"/>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlogback.configurationFile=" + logConfig,
                "-cp", brokerClasspath(),
                "io.ciphertrail.embedded.EmbeddedKafkaMain", "--dir", dir.resolve("kafka").toString(), "--plaintext",
                "--authorizer", "io.ciphertrail.broker.authorizer.SecureTransportAuthorizer",
                "--client", SecureKafkaCluster.ADMIN_IDENTITY,
                "--broker-property", "ciphertrail.authorizer.audit.window.ms=300");
        Process broker = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        Map<String, String> listeners = new HashMap<>();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8));
            String ready = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            String line;
            while (ready == null && System.nanoTime() < deadline && (line = lines.readLine()) != null) {
                output.add(line);
                if (line.startsWith("LISTENER ")) {
                    String[] parts = line.substring("LISTENER ".length()).split("://");
                    listeners.put(parts[0], parts[1]);
                } else if (line.startsWith("READY ")) {
                    ready = line.substring("READY ".length());
                }
            }
            assertThat(ready).as("broker output:%n%s", String.join("\n", output)).isNotNull();
            Thread drain = new Thread(() -> lines.lines().forEach(output::add), "broker-output");
            drain.setDaemon(true);
            drain.start();

            Map<String, Object> admin = loadClientProperties(dir.resolve("kafka/clients/" + SecureKafkaCluster.ADMIN_IDENTITY + ".properties"));
            try (Admin client = Admin.create(admin)) {
                client.createTopics(List.of(new NewTopic("shaded-orders", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            Map<String, Object> plain = new HashMap<>();
            plain.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, listeners.get("PLAINTEXT"));
            plain.put(ProducerConfig.CLIENT_ID_CONFIG, "shaded-plain");
            plain.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(plain, new StringSerializer(), new StringSerializer())) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("shaded-orders", "k", "v")).get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(TopicAuthorizationException.class);
            }

            AuditEvent event = awaitEvent(admin, "shaded-plain");
            assertThat(event).as("audit event from the separate broker; its output:%n%s", String.join("\n", output)).isNotNull();
            assertThat(event.getEventType()).isEqualTo(AuditEventType.INSECURE_REQUEST_DENIED);
            assertThat(event.getAuthorization().getResourceName()).isEqualTo("shaded-orders");
            assertThat(output).anyMatch(l -> l.contains("io.ciphertrail.audit") && l.contains("\"clientId\":\"shaded-plain\""));
            assertThat(output).noneMatch(l -> l.contains("NoClassDefFoundError") || l.contains("ClassNotFoundException")
                    || l.contains("SecurityException"));
        } finally {
            broker.destroy();
            if (!broker.waitFor(30, TimeUnit.SECONDS)) {
                broker.destroyForcibly();
            }
        }
    }

    /**
     * This JVM's classpath (Kafka, its dependencies, the embedded broker and its PKI) without Avro, the
     * schema module, this module's classes and the test frameworks, plus the shaded jar.
     */
    private static String brokerClasspath() {
        Pattern excluded = Pattern.compile(".*(/avro-[^/]*\\.jar|ciphertrail-schemas[^/]*\\.jar|/schemas/target/classes/?"
                + "|/authorizer/target/(test-)?classes/?|ciphertrail-broker-authorizer[^/]*\\.jar|/junit-[^/]*\\.jar"
                + "|/assertj-[^/]*\\.jar|/opentest4j-[^/]*\\.jar|/apiguardian-[^/]*\\.jar|/commons-compress-[^/]*\\.jar"
                + "|surefire|failsafe).*");
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!excluded.matcher(entry.replace('\\', '/')).matches()) {
                entries.add(entry);
            }
        }
        assertThat(entries).anyMatch(e -> e.contains("kafka_2.13")).noneMatch(e -> e.contains("/avro-"));
        entries.add(jar().toString());
        return String.join(File.pathSeparator, entries);
    }

    private static Map<String, Object> loadClientProperties(Path file) throws IOException {
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            props.load(in);
        }
        Map<String, Object> map = new HashMap<>();
        props.stringPropertyNames().forEach(key -> map.put(key, props.getProperty(key)));
        return map;
    }

    private static AuditEvent awaitEvent(Map<String, Object> admin, String clientId) {
        Map<String, Object> props = new HashMap<>(admin);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
            TopicPartition partition = new TopicPartition(AuditTopicReader.TOPIC, 0);
            boolean assigned = false;
            while (System.nanoTime() < deadline) {
                if (!assigned) {
                    if (consumer.partitionsFor(AuditTopicReader.TOPIC, Duration.ofSeconds(5)).isEmpty()) {
                        continue;
                    }
                    consumer.assign(List.of(partition));
                    consumer.seekToBeginning(List.of(partition));
                    assigned = true;
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(300))) {
                    AuditEvent event = AuditTopicReader.decode(record.value());
                    if (event.getAuthorization() != null && clientId.equals(event.getAuthorization().getClientId())
                            && event.getAuthorization().getResourceName().equals("shaded-orders")) {
                        return event;
                    }
                }
            }
        }
        return null;
    }
}
