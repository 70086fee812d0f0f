package io.ciphertrail.core.pki;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.SslConfigs;

/**
 * A key store and a trust store on disk for one TLS identity, with the password that opens them,
 * and the Kafka {@code ssl.*} settings that point at them. Both stores share one random password:
 * Kafka wants it in configuration, so it protects the files only as well as that configuration is
 * protected (files are owner-only for that reason).
 *
 * <p>{@link #toString()} names the files, never the password.
 */
public final class TlsFiles {
    public static final String KEY_STORE_FILE = "keystore.p12";
    public static final String TRUST_STORE_FILE = "truststore.p12";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path keyStore;
    private final Path trustStore;
    private final String password;

    private TlsFiles(Path keyStore, Path trustStore, String password) {
        this.keyStore = keyStore;
        this.trustStore = trustStore;
        this.password = password;
    }

    /** Writes {@code keystore.p12} (the identity) and {@code truststore.p12} (the trusted CAs) into {@code directory}. */
    public static TlsFiles write(Path directory, IssuedCertificate identity, List<X509Certificate> trusted) {
        return write(directory, identity, trusted, newPassword());
    }

    /** As {@link #write(Path, IssuedCertificate, List)}, under a given password (a renewal keeps the old one). */
    public static TlsFiles write(Path directory, IssuedCertificate identity, List<X509Certificate> trusted, String password) {
        Path keyStore = directory.resolve(KEY_STORE_FILE).toAbsolutePath();
        Path trustStore = directory.resolve(TRUST_STORE_FILE).toAbsolutePath();
        KeyStores.writeKeyStore(keyStore, identity, password.toCharArray());
        KeyStores.writeTrustStore(trustStore, trusted, password.toCharArray());
        return new TlsFiles(keyStore, trustStore, password);
    }

    /** Stores written before into {@code directory}, under {@code password}. */
    public static TlsFiles existing(Path directory, String password) {
        return new TlsFiles(directory.resolve(KEY_STORE_FILE).toAbsolutePath(), directory.resolve(TRUST_STORE_FILE).toAbsolutePath(), password);
    }

    /** 256 random bits, URL-safe: fine in a properties file and on a command line. */
    public static String newPassword() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public Path keyStore() {
        return keyStore;
    }

    public Path trustStore() {
        return trustStore;
    }

    /**
     * Kafka settings for mutual TLS with hostname verification: key store, trust store, TLS 1.3 and 1.2 only.
     * Holds the store password: treat the map as a secret.
     */
    public Map<String, Object> kafkaSslProperties() {
        Map<String, Object> ssl = new LinkedHashMap<>();
        ssl.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, KeyStores.TYPE);
        ssl.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keyStore.toString());
        ssl.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, password);
        ssl.put(SslConfigs.SSL_KEY_PASSWORD_CONFIG, password);
        ssl.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, KeyStores.TYPE);
        ssl.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, trustStore.toString());
        ssl.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, password);
        ssl.put(SslConfigs.SSL_ENABLED_PROTOCOLS_CONFIG, "TLSv1.3,TLSv1.2");
        ssl.put(SslConfigs.SSL_PROTOCOL_CONFIG, "TLSv1.3");
        ssl.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, "https");
        return ssl;
    }

    @Override
    public String toString() {
        return "TlsFiles[keyStore=" + keyStore + ", trustStore=" + trustStore + "]";
    }
}
