package io.ciphertrail.embedded;

import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.TlsFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * Issues each client identity's certificate once per cluster run and keeps its stores under
 * {@code clients/<identity>/}, so repeated calls for one identity share the same files.
 */
final class ClientIdentities {
    private final CertificateAuthority ca;
    private final Path directory;
    private final Map<String, TlsFiles> issued = new ConcurrentHashMap<>();

    ClientIdentities(CertificateAuthority ca, Path directory) {
        this.ca = ca;
        this.directory = directory;
    }

    /** Ready client settings for {@code identity}: its stores, mutual TLS, and the cluster's bootstrap address. */
    Map<String, Object> clientProperties(String identity, String bootstrapServers) {
        Map<String, Object> props = new java.util.HashMap<>(tlsFiles(identity).kafkaSslProperties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SecurityProtocol.SSL.name);
        return props;
    }

    TlsFiles tlsFiles(String identity) {
        return issued.computeIfAbsent(identity, id ->
                TlsFiles.write(directory.resolve(safeDirectoryName(id)), ca.issueWorkload(id), List.of(ca.certificate())));
    }

    private static String safeDirectoryName(String identity) {
        return identity.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
