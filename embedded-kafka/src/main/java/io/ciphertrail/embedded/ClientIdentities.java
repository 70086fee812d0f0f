package io.ciphertrail.embedded;

import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.TlsFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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

    TlsFiles tlsFiles(String identity) {
        return issued.computeIfAbsent(identity, id ->
                TlsFiles.write(directory.resolve(safeDirectoryName(id)), ca.issueWorkload(id), List.of(ca.certificate())));
    }

    private static String safeDirectoryName(String identity) {
        return identity.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
