package io.ciphertrail.core.tls;

import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
import io.ciphertrail.core.identity.IdentityConfig;
import io.ciphertrail.core.identity.IdentityMaterial;
import io.ciphertrail.core.identity.WorkloadIdentities;
import io.ciphertrail.core.identity.WorkloadIdentity;
import io.ciphertrail.core.pki.CertificateInfo;

/**
 * A Kafka {@code ssl.engine.factory.class} (KIP-519) that picks up a renewed certificate without a
 * restart. Kafka clients have no such reload of their own (KAFKA-10731). The certificate comes from one of:
 *
 * <ul>
 *   <li>key store and trust store files ({@code ssl.keystore.*}, {@code ssl.truststore.*}): when a connection is
 *       opened it checks (at most every {@code ciphertrail.tls.reload.check.interval.ms}) whether the files changed,
 *       and if so loads them, so new connections present the new certificate;</li>
 *   <li>a workload identity ({@code ciphertrail.identity.*}): the key pair and short-lived certificate the trust
 *       service issued, held in memory only and shared by every client of the process that names the identity. Each
 *       renewal is loaded at once, and (unless {@code ciphertrail.identity.reconnect.on.renewal=false}) every Kafka
 *       connection opened with the previous certificate is closed at its next use, so the client reconnects with the
 *       new one and no connection outlives the certificate it was opened with. Peers are checked against the trust
 *       bundle the trust service sent (old and new CA during a rotation).</li>
 * </ul>
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
    private WorkloadIdentity identity;
    private Consumer<IdentityMaterial> renewals;
    /** Kafka engines made with each identity generation, to close those of an older one after a renewal. */
    private final Map<SSLEngine, Long> engines = Collections.synchronizedMap(new WeakHashMap<>());
    private boolean retireOnRenewal;

    /** The loaded material: a file fingerprint, or the identity generation it came from (0 for files). */
    private record Loaded(DefaultSslEngineFactory delegate, StoreFingerprint fingerprint, long generation) {
    }

    /** Configured by Kafka for its connections. */
    @Override
    public void configure(Map<String, ?> configs) {
        configure(configs, true);
    }

    private void configure(Map<String, ?> configs, boolean kafkaConnections) {
        TlsPolicy.requireSecureEngineSettings(configs);
        this.configs = new HashMap<>(configs);
        Map<String, Object> tls = TlsConfig.configDef().parse(ciphertrailTlsSettings(configs));
        this.checkIntervalNanos = TimeUnit.MILLISECONDS.toNanos((Long) tls.get(TlsConfig.RELOAD_CHECK_INTERVAL_MS_CONFIG));
        this.expiryWarningDays = (Integer) tls.get(TlsConfig.EXPIRY_WARNING_DAYS_CONFIG);
        if (IdentityConfig.isConfigured(configs)) {
            this.identity = WorkloadIdentities.acquire(configs);
            this.retireOnRenewal = kafkaConnections && (Boolean) tls.get(IdentityConfig.RECONNECT_ON_RENEWAL_CONFIG);
            this.current = load(identity.requireValid());
            this.renewals = this::renewed;
            identity.addListener(renewals);
            return;
        }
        StoreFingerprint fingerprint = StoreFingerprint.of(StoreFingerprint.storeFiles(
                location(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG), location(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG)));
        this.current = load(this.configs, fingerprint, 0);
        this.nextCheckNanos = System.nanoTime() + checkIntervalNanos;
    }

    /**
     * A factory for TLS connections that are not Kafka's (the key service and its clients), configured from
     * the same {@code ssl.*} and {@code ciphertrail.tls.*} settings a Kafka client or listener uses, parsed
     * as Kafka parses them. A server engine requires a client certificate ({@code ssl.client.auth=required}).
     */
    public static ReloadingSslEngineFactory fromSettings(Map<String, ?> settings, boolean server) {
        return fromSettings(settings, server ? SslClientAuth.REQUIRED : null);
    }

    /**
     * A server factory that does not ask for a client certificate: for the one listener where callers have none yet
     * (the trust service's bootstrap listener, whose callers prove themselves with a one-time token instead).
     */
    public static ReloadingSslEngineFactory serverWithoutClientCertificates(Map<String, ?> settings) {
        return fromSettings(settings, SslClientAuth.NONE);
    }

    private static ReloadingSslEngineFactory fromSettings(Map<String, ?> settings, SslClientAuth clientAuth) {
        Map<String, Object> parsed = new HashMap<>(new ConfigDef().withClientSslSupport().parse(settings));
        settings.forEach((key, value) -> {
            if ((key.startsWith("ciphertrail.tls.") || key.startsWith("ciphertrail.identity.")) && value != null) {
                parsed.put(key, value);
            }
        });
        if (clientAuth != null) {
            parsed.put(BrokerSecurityConfigs.SSL_CLIENT_AUTH_CONFIG, clientAuth.name().toLowerCase(Locale.ROOT));
        }
        ReloadingSslEngineFactory factory = new ReloadingSslEngineFactory();
        factory.configure(parsed, false);
        return factory;
    }

    @Override
    public SSLEngine createClientSslEngine(String peerHost, int peerPort, String endpointIdentification) {
        Loaded loaded = loaded();
        SSLEngine engine = strongSuites(loaded.delegate().createClientSslEngine(peerHost, peerPort, endpointIdentification));
        if (retireOnRenewal) {
            engines.put(engine, loaded.generation());
        }
        return engine;
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

    /** The workload identity these engines present, when the certificate comes from the trust service. */
    public Optional<WorkloadIdentity> identity() {
        return Optional.ofNullable(identity);
    }

    @Override
    public void close() {
        current.delegate().close();
        if (identity != null) {
            identity.removeListener(renewals);
            WorkloadIdentities.release(identity);
        }
    }

    private DefaultSslEngineFactory delegate() {
        return loaded().delegate();
    }

    private Loaded loaded() {
        if (identity != null) {
            return current;
        }
        long now = System.nanoTime();
        if (now - nextCheckNanos >= 0) {
            synchronized (reloadLock) {
                if (now - nextCheckNanos >= 0) {
                    reloadIfChanged();
                    nextCheckNanos = System.nanoTime() + checkIntervalNanos;
                }
            }
        }
        return current;
    }

    /**
     * A new certificate of the identity: new engines use it from now on, and Kafka connections made with an older one
     * are closed at their next use (Kafka reconnects, with this one, and retries what was in flight).
     */
    private void renewed(IdentityMaterial material) {
        synchronized (reloadLock) {
            Loaded previous = current;
            current = load(material);
            previous.delegate().close();
        }
        if (retireOnRenewal) {
            List<SSLEngine> retired = new ArrayList<>();
            synchronized (engines) {
                engines.entrySet().removeIf(entry -> {
                    if (entry.getValue() < material.generation()) {
                        retired.add(entry.getKey());
                        return true;
                    }
                    return false;
                });
            }
            retired.forEach(SSLEngine::closeOutbound);
            if (!retired.isEmpty()) {
                LOG.debug("Closing {} connection(s) of identity '{}' opened with its previous certificate", retired.size(), identity.name());
            }
        }
    }

    private void reloadIfChanged() {
        StoreFingerprint latest = current.fingerprint().current();
        if (latest.sameAs(current.fingerprint()) || (failedFingerprint != null && latest.sameAs(failedFingerprint))) {
            return;
        }
        try {
            Loaded previous = current;
            current = load(configs, latest, 0);
            failedFingerprint = null;
            previous.delegate().close();
        } catch (RuntimeException e) {
            failedFingerprint = latest;
            LOG.warn("TLS store files changed but cannot be loaded ({}); new connections keep using the previous"
                    + " certificate until the files are fixed", e.getMessage());
        }
    }

    /** The identity's certificate, from memory; the identity reports its own renewals. */
    private Loaded load(IdentityMaterial material) {
        DefaultSslEngineFactory delegate = new DefaultSslEngineFactory();
        delegate.configure(material.sslSettings(configs, identity.trusted()));
        return new Loaded(delegate, null, material.generation());
    }

    private Loaded load(Map<String, Object> settings, StoreFingerprint fingerprint, long generation) {
        DefaultSslEngineFactory delegate = new DefaultSslEngineFactory();
        delegate.configure(settings);
        leafCertificate(delegate.keystore()).ifPresent(certificate -> {
            CertificateInfo info = CertificateInfo.of(certificate);
            Instant now = Instant.now();
            LOG.info("TLS certificate loaded: subject={} serial={} notAfter={} left={}",
                    info.subject(), info.serialHex(), info.notAfter(), info.timeLeft(now));
            if (info.expiresSoon(now, expiryWarningDays)) {
                LOG.warn("TLS certificate {} expires in {} (at {}); renew it: the file is reloaded without a restart",
                        info.subject(), info.timeLeft(now), info.notAfter());
            }
        });
        return new Loaded(delegate, fingerprint, generation);
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
            if ((key.startsWith("ciphertrail.tls.") || key.startsWith("ciphertrail.identity.")) && value != null) {
                tls.put(key, value);
            }
        });
        return tls;
    }
}
