package io.ciphertrail.embedded;

import io.ciphertrail.core.io.PropertiesFiles;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;

/**
 * A running Kafka cluster whose client listener speaks only mutual TLS, with a CA that issues
 * client identities on demand. Implemented as one node in-process ({@link EmbeddedSecureKafka}), as
 * several nodes each in a process of its own ({@link MultiNodeSecureKafka}, whose nodes a test can kill,
 * freeze and restart) and, where a Docker engine exists, in a container ({@link ContainerSecureKafka}).
 */
public interface SecureKafkaCluster extends AutoCloseable {

    /** The identity every cluster makes a super user, for tests and tools that administer it. */
    String ADMIN_IDENTITY = "ciphertrail-admin";

    /** {@code host:port} of the mutual TLS client listener. */
    String bootstrapServers();

    /** {@code host:port} of the PLAINTEXT listener, when the cluster was started with one (negative tests, migration demos). */
    Optional<String> plaintextBootstrapServers();

    /** Every client-facing listener by name ({@code SSL}, {@code PLAINTEXT}), as {@code host:port} (comma-separated for several nodes). */
    default Map<String, String> listeners() {
        Map<String, String> listeners = new LinkedHashMap<>();
        listeners.put("SSL", bootstrapServers());
        plaintextBootstrapServers().ifPresent(address -> listeners.put("PLAINTEXT", address));
        return Collections.unmodifiableMap(listeners);
    }

    /** The CA whose certificates the broker trusts and presents. */
    X509Certificate caCertificate();

    /**
     * Issues a client certificate for {@code identity} (its CN, so the Kafka principal is
     * {@code User:identity}) and returns ready client settings: bootstrap, {@code security.protocol=SSL},
     * key and trust stores, TLS 1.3/1.2 only, hostname verification on. The map is a fresh mutable copy
     * and holds store passwords: treat it as a secret.
     */
    Map<String, Object> clientProperties(String identity);

    /** Settings for the PLAINTEXT listener; fails if the cluster has none. */
    default Map<String, Object> plaintextClientProperties() {
        return Topics.plaintextClientProperties(plaintextBootstrapServers().orElseThrow(() -> new IllegalStateException(
                "This cluster has no PLAINTEXT listener; start it with builder().plaintextListener(true) (embedded only)")));
    }

    /**
     * Writes {@link #clientProperties(String)} for {@code identity} to a properties file, owner-only
     * because it holds store passwords, ready for {@code kafka-console-producer --producer.config} or any client.
     */
    default Path writeClientProperties(String identity, Path file) {
        PropertiesFiles.writeOwnerOnly(file, "Kafka client settings for identity '" + identity
                + "' (mutual TLS). Holds store passwords: keep private", clientProperties(identity));
        return file;
    }

    /** A new admin client acting as {@link #ADMIN_IDENTITY}; the caller closes it. */
    default Admin admin() {
        return Admin.create(clientProperties(ADMIN_IDENTITY));
    }

    /**
     * Creates topics with the given partition count and the cluster's replication factor (one on a single
     * node, three with two in sync on a cluster of three or more) and waits until they exist.
     */
    default void createTopics(int partitions, String... topics) {
        Topics.create(this, partitions, topics);
    }

    /** Where this cluster keeps its files (certificates, client stores, broker data). */
    Path directory();

    @Override
    void close();
}
