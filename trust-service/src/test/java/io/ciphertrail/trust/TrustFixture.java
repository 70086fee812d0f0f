package io.ciphertrail.trust;

import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.KmsFixture;
import io.ciphertrail.core.kms.remote.RemoteKmsProvider;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A real key service on loopback for tests: a CA, the service's server certificate (localhost, 127.0.0.1),
 * client identities issued on demand, a local key store as the backend, and a key policy file the test
 * may rewrite. Clients get {@code ciphertrail.kms.type=remote} settings with their own TLS identity.
 */
public final class TrustFixture {
    public static final String MAPPING_RULES = "RULE:^CN=([^,]+),.*$/$1/,DEFAULT";

    private final Path dir;
    private final CertificateAuthority ca;
    private final Map<String, TlsFiles> identities = new HashMap<>();
    private final Path policy;
    private TlsFiles server;

    public TrustFixture(Path dir) {
        this(dir, CertificateAuthority.create("Trust Test CA"));
    }

    public TrustFixture(Path dir, CertificateAuthority ca) {
        this.dir = dir;
        this.ca = ca;
        this.policy = dir.resolve("key-policy.yaml");
    }

    public CertificateAuthority ca() {
        return ca;
    }

    public Path policyFile() {
        return policy;
    }

    public void writePolicy(String yaml) {
        try {
            Files.writeString(policy, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Settings for a key service instance: backend KMS in {@code dir/kms}, ports chosen freely. */
    public Map<String, Object> serviceSettings(Object... overrides) {
        Map<String, Object> settings = new HashMap<>(server().kafkaSslProperties());
        settings.putAll(KmsFixture.local(dir(dir.resolve("kms"))));
        settings.put(TrustServiceConfig.PORT_CONFIG, 0);
        settings.put(TrustServiceConfig.MANAGEMENT_PORT_CONFIG, 0);
        settings.put(TrustServiceConfig.KEY_POLICY_FILE_CONFIG, policy.toString());
        settings.put(TrustServiceConfig.KEY_POLICY_CHECK_INTERVAL_MS_CONFIG, 0L);
        settings.put(TrustServiceConfig.PRINCIPAL_MAPPING_RULES_CONFIG, MAPPING_RULES);
        settings.put(TrustServiceConfig.AUDIT_WINDOW_MS_CONFIG, 60_000L);
        for (int i = 0; i < overrides.length; i += 2) {
            settings.put((String) overrides[i], overrides[i + 1]);
        }
        return settings;
    }

    public TrustService start(Object... overrides) {
        return TrustService.start(serviceSettings(overrides));
    }

    /** The service's own TLS identity, issued once: a server certificate for localhost and 127.0.0.1. */
    public synchronized TlsFiles server() {
        if (server == null) {
            server = TlsFiles.write(dir(dir.resolve("server")), ca.issue(CertificateSpec.broker("key-service")
                    .dnsNames("localhost").ipAddresses("127.0.0.1")), List.of(ca.certificate()));
        }
        return server;
    }

    /** The TLS files of a client identity (certificate CN = identity), issued once. */
    public synchronized TlsFiles identity(String identity) {
        return identities.computeIfAbsent(identity, id -> TlsFiles.write(dir(dir.resolve("clients").resolve(id)),
                ca.issueWorkload(id), List.of(ca.certificate())));
    }

    /** Remote KMS settings for {@code identity} against the given instances. */
    public Map<String, Object> clientSettings(String identity, TrustService... instances) {
        Map<String, Object> settings = new HashMap<>(identity(identity).kafkaSslProperties());
        settings.put(KmsConfig.TYPE_CONFIG, "remote");
        settings.put(RemoteKmsProvider.URLS_CONFIG, urls(instances));
        return settings;
    }

    public static String urls(TrustService... instances) {
        return java.util.Arrays.stream(instances).map(s -> "https://localhost:" + s.port()).collect(Collectors.joining(","));
    }

    private static Path dir(Path path) {
        try {
            return Files.createDirectories(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
