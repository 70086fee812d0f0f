package io.ciphertrail.core.tls;

import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.SslClientAuth;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.internals.BrokerSecurityConfigs;
import org.apache.kafka.common.security.auth.SslEngineFactory;
import org.apache.kafka.common.security.ssl.DefaultSslEngineFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.ciphertrail.core.pki.CertificateInfo;

/**
 * A Kafka {@code ssl.engine.factory.class} (KIP-519) that picks up a renewed certificate without a
 * restart: when a connection is opened it checks (at most every {@code ciphertrail.tls.reload.check.interval.ms})
 * whether the key store or trust store files changed, and if so loads them, so new connections present
 * the new certificate. Kafka clients have no such reload of their own (KAFKA-10731).
 *
 * <p>Loading is Kafka's own {@link DefaultSslEngineFactory}, so every store type Kafka reads (PKCS12,
 * JKS, PEM) works the same. Every configuration is held to {@link TlsPolicy} first, and a store that
 * fails to load after a change (for example half written) leaves the previous material in use and is
 * reported, never a broken client.
 */
public final class ReloadingSslEngineFactory implements SslEngineFactory {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadingSslEngineFactory.class);

    private final Object reloadLock = new Object();
    private Map<String, Object> configs;
    private long checkIntervalNanos;
    private int expiryWarningDays;
    private volatile Loaded current;
    private volatile long nextCheckNanos;
    private StoreFingerprint failedFingerprint;

    private record Loaded(DefaultSslEngineFactory delegate, StoreFingerprint fingerprint) {
    }

    @Override
    public void configure(Map<String, ?> configs) {
        TlsPolicy.requireSecureEngineSettings(configs);
        this.configs = new HashMap<>(configs);
        Map<String, Object> tls = TlsConfig.configDef().parse(ciphertrailTlsSettings(configs));
        this.checkIntervalNanos = TimeUnit.MILLISECONDS.toNanos((Long) tls.get(TlsConfig.RELOAD_CHECK_INTERVAL_MS_CONFIG));
        this.expiryWarningDays = (Integer) tls.get(TlsConfig.EXPIRY_WARNING_DAYS_CONFIG);
        StoreFingerprint fingerprint = StoreFingerprint.of(StoreFingerprint.storeFiles(
                location(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG), location(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG)));
        this.current = load(fingerprint);
        this.nextCheckNanos = System.nanoTime() + checkIntervalNanos;
    }

    /**
     * A factory for TLS connections that are not Kafka's (the key service and its clients), configured from
     * the same {@code ssl.*} and {@code ciphertrail.tls.*} settings a Kafka client or listener uses, parsed
     * as Kafka parses them. A server engine requires a client certificate ({@code ssl.client.auth=required}).
     */
    public static ReloadingSslEngineFactory fromSettings(Map<String, ?> settings, boolean server) {
        Map<String, Object> parsed = new HashMap<>(new ConfigDef().withClientSslSupport().parse(settings));
        settings.forEach((key, value) -> {
            if (key.startsWith("ciphertrail.tls.") && value != null) {
                parsed.put(key, value);
            }
        });
        if (server) {
            parsed.put(BrokerSecurityConfigs.SSL_CLIENT_AUTH_CONFIG, SslClientAuth.REQUIRED.name().toLowerCase(Locale.ROOT));
        }
        ReloadingSslEngineFactory factory = new ReloadingSslEngineFactory();
        factory.configure(parsed);
        return factory;
    }

    @Override
    public SSLEngine createClientSslEngine(String peerHost, int peerPort, String endpointIdentification) {
        return strongSuites(delegate().createClientSslEngine(peerHost, peerPort, endpointIdentification));
    }

    @Override
    public SSLEngine createServerSslEngine(String peerHost, int peerPort) {
        return strongSuites(delegate().createServerSslEngine(peerHost, peerPort));
    }

    private static SSLEngine strongSuites(SSLEngine engine) {
        engine.setEnabledCipherSuites(TlsPolicy.strongSuitesOnly(engine.getEnabledCipherSuites()));
        return engine;
    }

    /** The JSSE context the current stores were loaded into: session caches and defaults for {@link ReloadingSslContext}. */
    SSLContext sslContext() {
        return delegate().sslContext();
    }

    @Override
    public boolean shouldBeRebuilt(Map<String, Object> nextConfigs) {
        return current.delegate().shouldBeRebuilt(nextConfigs);
    }

    @Override
    public Set<String> reconfigurableConfigs() {
        return current.delegate().reconfigurableConfigs();
    }

    @Override
    public KeyStore keystore() {
        return current.delegate().keystore();
    }

    @Override
    public KeyStore truststore() {
        return current.delegate().truststore();
    }

    /** The certificate this factory's engines present now, if a key store is configured. */
    public Optional<X509Certificate> clientCertificate() {
        return leafCertificate(keystore());
    }

    @Override
    public void close() {
        current.delegate().close();
    }

    private DefaultSslEngineFactory delegate() {
        long now = System.nanoTime();
        if (now - nextCheckNanos >= 0) {
            synchronized (reloadLock) {
                if (now - nextCheckNanos >= 0) {
                    reloadIfChanged();
                    nextCheckNanos = System.nanoTime() + checkIntervalNanos;
                }
            }
        }
        return current.delegate();
    }

    private void reloadIfChanged() {
        StoreFingerprint latest = current.fingerprint().current();
        if (latest.sameAs(current.fingerprint()) || (failedFingerprint != null && latest.sameAs(failedFingerprint))) {
            return;
        }
        try {
            Loaded previous = current;
            current = load(latest);
            failedFingerprint = null;
            previous.delegate().close();
        } catch (RuntimeException e) {
            failedFingerprint = latest;
            LOG.warn("TLS store files changed but cannot be loaded ({}); new connections keep using the previous"
                    + " certificate until the files are fixed", e.getMessage());
        }
    }

    private Loaded load(StoreFingerprint fingerprint) {
        DefaultSslEngineFactory delegate = new DefaultSslEngineFactory();
        delegate.configure(configs);
        leafCertificate(delegate.keystore()).ifPresent(certificate -> {
            CertificateInfo info = CertificateInfo.of(certificate);
            long daysLeft = info.daysLeft(Instant.now());
            LOG.info("TLS client certificate loaded: subject={} serial={} notAfter={} daysLeft={}",
                    info.subject(), info.serialHex(), info.notAfter(), daysLeft);
            if (daysLeft < expiryWarningDays) {
                LOG.warn("TLS client certificate {} expires in {} days (at {}); renew it: the file is reloaded without a restart",
                        info.subject(), daysLeft, info.notAfter());
            }
        });
        return new Loaded(delegate, fingerprint);
    }

    private String location(String key) {
        Object value = configs.get(key);
        return value == null ? null : value.toString();
    }

    static Optional<X509Certificate> leafCertificate(KeyStore keyStore) {
        if (keyStore == null) {
            return Optional.empty();
        }
        try {
            for (String alias : Collections.list(keyStore.aliases())) {
                if (keyStore.isKeyEntry(alias)) {
                    Certificate certificate = keyStore.getCertificate(alias);
                    if (certificate instanceof X509Certificate x509) {
                        return Optional.of(x509);
                    }
                }
            }
            return Optional.empty();
        } catch (KeyStoreException e) {
            throw new IllegalStateException("Cannot read the key store: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> ciphertrailTlsSettings(Map<String, ?> configs) {
        Map<String, Object> tls = new HashMap<>();
        configs.forEach((key, value) -> {
            if (key.startsWith("ciphertrail.tls.") && value != null) {
                tls.put(key, value);
            }
        });
        return tls;
    }
}
