package io.ciphertrail.embedded;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateProfile;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.core.pki.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each client identity's certificate and stores under {@code clients/<identity>/}. A cluster started again on the
 * same directory keeps them, with their password ({@code store-password}), so client settings copied elsewhere go
 * on working; a certificate is replaced only by {@link #renew}, or when it no longer verifies against the CA or is
 * about to expire (the cluster could not start with it).
 */
public final class ClientIdentities {
    /** The owner-only file with an identity's store password, next to its stores. */
    public static final String PASSWORD_FILE = "store-password";
    /** A kept certificate must stay valid at least this long, or it is replaced at start. */
    static final Duration MINIMUM_VALIDITY = Duration.ofDays(1);
    private static final Logger LOG = LoggerFactory.getLogger(ClientIdentities.class);

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
        return issued.computeIfAbsent(identity, id -> keepOrIssue(ca, directory.resolve(safeDirectoryName(id)), id));
    }

    /**
     * A new certificate and key for {@code identity} in {@code clientsDirectory}, under the password it had (so the
     * settings that name its stores stay right). Clients that reload their stores present it on their next connection.
     */
    public static TlsFiles renew(CertificateAuthority ca, Path clientsDirectory, String identity) {
        return renew(ca, clientsDirectory, identity, CertificateProfile.WORKLOAD.defaultValidity());
    }

    /** As {@link #renew(CertificateAuthority, Path, String)}, valid for {@code validity}. */
    public static TlsFiles renew(CertificateAuthority ca, Path clientsDirectory, String identity, Duration validity) {
        Path folder = clientsDirectory.resolve(safeDirectoryName(identity));
        String password = Files.isReadable(folder.resolve(PASSWORD_FILE)) ? read(folder.resolve(PASSWORD_FILE)) : TlsFiles.newPassword();
        return issue(ca, folder, identity, password, validity);
    }

    /** The identity folders in {@code clientsDirectory}, by identity (folder) name. */
    public static List<String> identities(Path clientsDirectory) {
        if (!Files.isDirectory(clientsDirectory)) {
            return List.of();
        }
        try (var folders = Files.list(clientsDirectory)) {
            return folders.filter(f -> Files.isRegularFile(f.resolve(PASSWORD_FILE))).map(f -> f.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + clientsDirectory + ": " + e.getMessage(), e);
        }
    }

    private static TlsFiles keepOrIssue(CertificateAuthority ca, Path folder, String identity) {
        Path passwordFile = folder.resolve(PASSWORD_FILE);
        if (Files.isReadable(passwordFile) && Files.isReadable(folder.resolve(TlsFiles.KEY_STORE_FILE))
                && Files.isReadable(folder.resolve(TlsFiles.TRUST_STORE_FILE))) {
            String password = read(passwordFile);
            String problem = problem(ca, folder, password);
            if (problem == null) {
                return TlsFiles.existing(folder, password);
            }
            LOG.warn("Issuing a new certificate for '{}' in {}: the one there {}; its store password stays", identity, folder, problem);
            return issue(ca, folder, identity, password);
        }
        return issue(ca, folder, identity, TlsFiles.newPassword());
    }

    /** Why the stored certificate cannot be kept, or null when it can. */
    private static String problem(CertificateAuthority ca, Path folder, String password) {
        try {
            X509Certificate certificate = KeyStores.readKeyStore(folder.resolve(TlsFiles.KEY_STORE_FILE), password.toCharArray()).certificate();
            certificate.verify(ca.certificate().getPublicKey());
            if (certificate.getNotAfter().toInstant().isBefore(Instant.now().plus(MINIMUM_VALIDITY))) {
                return "expires " + certificate.getNotAfter().toInstant();
            }
            return null;
        } catch (GeneralSecurityException e) {
            return "was not issued by this CA";
        } catch (RuntimeException e) {
            return "cannot be read (" + e.getMessage() + ")";
        }
    }

    private static TlsFiles issue(CertificateAuthority ca, Path folder, String identity, String password) {
        return issue(ca, folder, identity, password, CertificateProfile.WORKLOAD.defaultValidity());
    }

    private static TlsFiles issue(CertificateAuthority ca, Path folder, String identity, String password, Duration validity) {
        TlsFiles files = TlsFiles.write(folder, ca.issue(CertificateSpec.workload(identity).validity(validity)), List.of(ca.certificate()), password);
        SecureFiles.writeOwnerOnly(folder.resolve(PASSWORD_FILE), password.getBytes(StandardCharsets.US_ASCII));
        return files;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static String safeDirectoryName(String identity) {
        return identity.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
