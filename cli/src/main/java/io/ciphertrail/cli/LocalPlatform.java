package io.ciphertrail.cli;

import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.embedded.EmbeddedSecureKafka;
import io.ciphertrail.embedded.SecureKafkaCluster;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;

/**
 * The platform {@code ciphertrail up} runs on this machine: a TLS-only broker whose CA, data and
 * client property files live in a {@link Home}, so a restart finds everything where it was.
 */
final class LocalPlatform implements AutoCloseable {
    /** Identities that get a ready client property file on every start. */
    static final List<String> CLIENT_IDENTITIES = List.of(SecureKafkaCluster.ADMIN_IDENTITY, "demo-producer", "demo-consumer");

    private final Home home;
    private final EmbeddedSecureKafka kafka;

    private LocalPlatform(Home home, EmbeddedSecureKafka kafka) {
        this.home = home;
        this.kafka = kafka;
    }

    /** Starts the platform with its TLS listener on {@code preferredPort}, or on a free port if that one is taken. */
    static LocalPlatform start(Home home, int preferredPort) {
        EmbeddedSecureKafka kafka = EmbeddedSecureKafka.builder()
                .directory(home.kafka())
                .certificateAuthority(CertificateAuthority.loadOrCreate(home.ca(), "Ciphertrail Local CA"))
                .sslPort(isFree(preferredPort) ? preferredPort : 0)
                .start();
        for (String identity : CLIENT_IDENTITIES) {
            kafka.writeClientProperties(identity, home.clientProperties(identity));
        }
        return new LocalPlatform(home, kafka);
    }

    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    Home home() {
        return home;
    }

    EmbeddedSecureKafka kafka() {
        return kafka;
    }

    @Override
    public void close() {
        kafka.close();
    }
}
