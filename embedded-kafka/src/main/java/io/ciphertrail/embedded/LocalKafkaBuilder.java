package io.ciphertrail.embedded;

import io.ciphertrail.core.pki.CertificateAuthority;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options every local TLS-only Kafka shares, one node ({@link EmbeddedSecureKafka#builder()}) or several
 * ({@link MultiNodeSecureKafka#builder()}). Every option has a default that gives a working mutual TLS cluster.
 *
 * @param <B> the concrete builder, returned by every option
 */
public abstract class LocalKafkaBuilder<B extends LocalKafkaBuilder<B>> {
    Path directory;
    boolean keepDirectory;
    CertificateAuthority ca;
    boolean plaintextListener;
    int sslPort;
    int plaintextPort;
    String authorizer;
    final List<String> superUsers = new ArrayList<>();
    final Map<String, String> brokerProperties = new LinkedHashMap<>();

    LocalKafkaBuilder() {
    }

    /** Keep files here (and across restarts) instead of in a temporary directory deleted on close. */
    public B directory(Path directory) {
        this.directory = directory;
        return self();
    }

    /** Keep the temporary directory after close, to inspect log segments, logs or certificates. */
    public B keepDirectory(boolean keep) {
        this.keepDirectory = keep;
        return self();
    }

    /** Use this CA instead of the one kept in {@code <directory>/ca} (created there on first start). */
    public B certificateAuthority(CertificateAuthority ca) {
        this.ca = ca;
        return self();
    }

    /** Also open a PLAINTEXT listener (on every node): only for showing that insecure clients are refused. */
    public B plaintextListener(boolean enabled) {
        this.plaintextListener = enabled;
        return self();
    }

    /** Port of the (first node's) TLS client listener (default: a free port). */
    public B sslPort(int port) {
        this.sslPort = port;
        return self();
    }

    /** Port of the (first node's) PLAINTEXT listener, when enabled (default: a free port). */
    public B plaintextPort(int port) {
        this.plaintextPort = port;
        return self();
    }

    /**
     * {@code authorizer.class.name} (on every node), or null for none; the nodes and
     * {@link SecureKafkaCluster#ADMIN_IDENTITY} are always super users.
     */
    public B authorizer(String className) {
        this.authorizer = className;
        return self();
    }

    /** More super users, as principals ({@code User:name}). */
    public B superUsers(String... principals) {
        this.superUsers.addAll(List.of(principals));
        return self();
    }

    /** Any broker setting (for every node), applied last. */
    public B brokerProperty(String key, String value) {
        this.brokerProperties.put(key, value);
        return self();
    }

    public B brokerProperties(Map<String, String> properties) {
        this.brokerProperties.putAll(properties);
        return self();
    }

    /** Starts the cluster and returns once it serves TLS clients. */
    public abstract SecureKafkaCluster start();

    abstract B self();
}
