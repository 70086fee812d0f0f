package io.ciphertrail.embedded;

import com.github.dockerjava.api.command.InspectContainerResponse;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.TlsFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.SslConfigs;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The same TLS-only single-node cluster as {@link EmbeddedSecureKafka}, run from the official
 * {@code apache/kafka} image through Testcontainers, for suites that want the broker out of process.
 * Needs a Docker engine: check {@link #dockerAvailable()} first.
 */
public final class ContainerSecureKafka implements SecureKafkaCluster {
    public static final DockerImageName IMAGE = DockerImageName.parse("apache/kafka:4.3.1");

    private static final int CLIENT_PORT = 9093;
    private static final String SECRETS = "/etc/kafka/secrets/";
    private static final String START_SCRIPT = "/tmp/ciphertrail-start.sh";
    private static final int CONTAINER_FILE_MODE = 0644;

    private final Path directory;
    private final CertificateAuthority ca;
    private final ClientIdentities clients;
    private final BrokerContainer container;

    private ContainerSecureKafka(Path directory) {
        this.directory = directory;
        this.ca = CertificateAuthority.loadOrCreate(directory.resolve("ca"), "Ciphertrail Local CA");
        this.clients = new ClientIdentities(ca, directory.resolve("clients"));
        String dockerHost = DockerClientFactory.instance().dockerHostIpAddress();
        CertificateSpec brokerSpec = CertificateSpec.broker(EmbeddedSecureKafka.BROKER_IDENTITY).dnsNames("localhost");
        brokerSpec = dockerHost.matches("[0-9.]+|.*:.*")
                ? brokerSpec.ipAddresses("127.0.0.1", dockerHost)
                : brokerSpec.dnsNames("localhost", dockerHost).ipAddresses("127.0.0.1");
        TlsFiles brokerTls = TlsFiles.write(directory.resolve("broker"), ca.issue(brokerSpec), List.of(ca.certificate()));
        this.container = new BrokerContainer(brokerTls, directory.resolve("broker"));
    }

    /** True when a Docker engine answers; there is none on machines without one, and then nothing here can run. */
    public static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Starts the container, keeping certificates and client stores in {@code directory}. */
    public static ContainerSecureKafka start(Path directory) {
        ContainerSecureKafka kafka = new ContainerSecureKafka(directory);
        kafka.container.start();
        return kafka;
    }

    @Override
    public String bootstrapServers() {
        return container.getHost() + ":" + container.getMappedPort(CLIENT_PORT);
    }

    @Override
    public Optional<String> plaintextBootstrapServers() {
        return Optional.empty();
    }

    @Override
    public X509Certificate caCertificate() {
        return ca.certificate();
    }

    @Override
    public Map<String, Object> clientProperties(String identity) {
        return clients.clientProperties(identity, bootstrapServers());
    }

    @Override
    public Path directory() {
        return directory;
    }

    @Override
    public void close() {
        container.stop();
    }

    /**
     * The image reads its settings from {@code KAFKA_*} variables and its key store passwords from
     * files under {@code /etc/kafka/secrets}. The advertised client address depends on the port
     * Docker maps, known only once the container exists, so the container waits for a start script
     * that is copied in at that point.
     */
    private static final class BrokerContainer extends GenericContainer<BrokerContainer> {
        BrokerContainer(TlsFiles tls, Path brokerDirectory) {
            super(IMAGE);
            Map<String, Object> ssl = tls.kafkaSslProperties();
            Path credentials = brokerDirectory.resolve("store-password");
            writeCredentials(credentials, ssl.get(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG).toString());

            Map<String, String> env = new LinkedHashMap<>();
            env.put("CLUSTER_ID", Uuid.randomUuid().toString());
            env.put("KAFKA_NODE_ID", "1");
            env.put("KAFKA_PROCESS_ROLES", "broker,controller");
            env.put("KAFKA_LISTENERS", "SSL://0.0.0.0:" + CLIENT_PORT + ",INTERNAL://localhost:9094,CONTROLLER://localhost:9095");
            env.put("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "SSL:SSL,INTERNAL:SSL,CONTROLLER:SSL");
            env.put("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9095");
            env.put("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER");
            env.put("KAFKA_INTER_BROKER_LISTENER_NAME", "INTERNAL");
            env.put("KAFKA_SSL_KEYSTORE_FILENAME", TlsFiles.KEY_STORE_FILE);
            env.put("KAFKA_SSL_KEYSTORE_TYPE", "PKCS12");
            env.put("KAFKA_SSL_KEYSTORE_CREDENTIALS", "store-password");
            env.put("KAFKA_SSL_KEY_CREDENTIALS", "store-password");
            env.put("KAFKA_SSL_TRUSTSTORE_FILENAME", TlsFiles.TRUST_STORE_FILE);
            env.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PKCS12");
            env.put("KAFKA_SSL_TRUSTSTORE_CREDENTIALS", "store-password");
            env.put("KAFKA_SSL_CLIENT_AUTH", "required");
            env.put("KAFKA_SSL_ENABLED_PROTOCOLS", "TLSv1.3,TLSv1.2");
            env.put("KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM", "https");
            env.put("KAFKA_SSL_PRINCIPAL_MAPPING_RULES", "RULE:^CN=([^,]+),.*$/$1/,DEFAULT");
            env.put("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
            env.put("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1");
            env.put("KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS", "1");
            env.put("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1");
            env.put("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1");
            env.put("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1");
            env.put("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1");
            env.put("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_NUM_PARTITIONS", "1");
            env.put("KAFKA_GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS", "500");
            env.put("KAFKA_GROUP_SHARE_HEARTBEAT_INTERVAL_MS", "500");
            env.put("KAFKA_GROUP_SHARE_ASSIGNMENT_INTERVAL_MS", "100");
            env.put("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
            withEnv(env);
            withExposedPorts(CLIENT_PORT);
            // Owner-only on the host; inside the container the broker runs as another user that must read them.
            withCopyFileToContainer(MountableFile.forHostPath(tls.keyStore(), CONTAINER_FILE_MODE), SECRETS + TlsFiles.KEY_STORE_FILE);
            withCopyFileToContainer(MountableFile.forHostPath(tls.trustStore(), CONTAINER_FILE_MODE), SECRETS + TlsFiles.TRUST_STORE_FILE);
            withCopyFileToContainer(MountableFile.forHostPath(credentials, CONTAINER_FILE_MODE), SECRETS + "store-password");
            withCommand("sh", "-c", "while [ ! -f " + START_SCRIPT + " ]; do sleep 0.1; done; exec sh " + START_SCRIPT);
            waitingFor(Wait.forLogMessage(".*Kafka Server started.*", 1).withStartupTimeout(Duration.ofMinutes(2)));
        }

        @Override
        protected void containerIsStarting(InspectContainerResponse info) {
            String script = "export KAFKA_ADVERTISED_LISTENERS='SSL://" + getHost() + ":" + getMappedPort(CLIENT_PORT)
                    + ",INTERNAL://localhost:9094'\nexec /etc/kafka/docker/run\n";
            copyFileToContainer(Transferable.of(script.getBytes(StandardCharsets.UTF_8), 0755), START_SCRIPT);
        }

        private static void writeCredentials(Path file, String password) {
            SecureFiles.writeOwnerOnly(file, password.getBytes(StandardCharsets.US_ASCII));
        }
    }
}
