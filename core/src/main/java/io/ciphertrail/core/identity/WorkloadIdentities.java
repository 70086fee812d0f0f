package io.ciphertrail.core.identity;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.types.Password;

/**
 * The workload identities of this process, one per name and trust service: every client that names an identity
 * (a producer, a consumer, each of a Kafka Streams application's clients, the remote KMS client) shares its key and
 * certificate, so one process makes one bootstrap and one renewal at a time. An identity no client uses any more
 * stops renewing but keeps its certificate, so a client created later reuses it while it is valid (a one-time token
 * could not be used twice anyway).
 */
public final class WorkloadIdentities {
    private static final Map<Key, Entry> IDENTITIES = new HashMap<>();
    private static final ScheduledExecutorService RENEWALS = Executors.newScheduledThreadPool(2, new ThreadFactoryOf());

    private WorkloadIdentities() {
    }

    private record Key(String name, List<String> urls, List<String> bootstrapUrls, String tokenFile, String tokenEnv, String trust) {
        static Key of(Map<String, ?> settings) {
            IdentityConfig config = new IdentityConfig(settings);
            Object trustStore = settings.get(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG);
            Object trustCertificates = settings.get(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG);
            return new Key(config.identity(), config.getList(IdentityConfig.URLS_CONFIG), config.getList(IdentityConfig.BOOTSTRAP_URLS_CONFIG),
                    config.getString(IdentityConfig.BOOTSTRAP_TOKEN_FILE_CONFIG), config.getString(IdentityConfig.BOOTSTRAP_TOKEN_ENV_CONFIG),
                    String.valueOf(trustStore != null ? trustStore : trustCertificates == null ? null : Objects.hashCode(
                            // Kafka hands the engine factory a Password, the caller may have given the text itself.
                            trustCertificates instanceof Password password ? password.value() : trustCertificates.toString())));
        }
    }

    private static final class Entry {
        final WorkloadIdentity identity;
        int references;

        Entry(WorkloadIdentity identity) {
            this.identity = identity;
        }
    }

    /**
     * The identity the settings name, with a valid certificate in hand (obtained now if need be, waiting at most
     * {@code ciphertrail.identity.initial.timeout.ms}) and renewing; the caller {@link #release releases} it when done.
     *
     * @throws IdentityException when no certificate could be obtained, naming the trust service and its answer
     */
    public static WorkloadIdentity acquire(Map<String, ?> settings) {
        Key key = Key.of(settings);
        Entry entry;
        synchronized (IDENTITIES) {
            entry = IDENTITIES.computeIfAbsent(key, k -> new Entry(new WorkloadIdentity(settings, null, RENEWALS, Clock.systemUTC())));
            entry.references++;
        }
        return started(entry);
    }

    /**
     * The identity the settings name, its certificates issued by a CA in this process ({@code issuer}: the trust
     * service's own identity) rather than fetched from the trust service's URLs, which the settings leave out. Clients
     * of this process whose settings name the same identity, trust store and no URLs (the service's Kafka clients and
     * TLS listeners) share it through {@link #acquire}. An earlier identity of that name that no client uses any more
     * is replaced, so a restarted service never presents what a previous CA issued.
     *
     * @throws IdentityException when the issuer could not issue the first certificate
     */
    public static WorkloadIdentity acquireInProcess(Map<String, ?> settings, CertificateIssuer issuer) {
        Key key = Key.of(settings);
        if (!key.urls().isEmpty() || !key.bootstrapUrls().isEmpty()) {
            throw new IllegalArgumentException("an identity issued in this process names no trust service URLs");
        }
        Entry entry;
        synchronized (IDENTITIES) {
            entry = IDENTITIES.get(key);
            if (entry == null || entry.references == 0) {
                entry = new Entry(new WorkloadIdentity(settings, Objects.requireNonNull(issuer), RENEWALS, Clock.systemUTC()));
                IDENTITIES.put(key, entry);
            }
            entry.references++;
        }
        return started(entry);
    }

    private static WorkloadIdentity started(Entry entry) {
        try {
            entry.identity.start();
            return entry.identity;
        } catch (RuntimeException e) {
            release(entry.identity);
            throw e;
        }
    }

    /** One user fewer; the last one's release stops the renewals. */
    public static void release(WorkloadIdentity identity) {
        synchronized (IDENTITIES) {
            for (Entry entry : IDENTITIES.values()) {
                if (entry.identity == identity && --entry.references == 0) {
                    identity.stop();
                }
            }
        }
    }

    /** The identity the settings name, if a client of this process obtained it (for metrics: it obtains nothing). */
    public static Optional<WorkloadIdentity> find(Map<String, ?> settings) {
        if (!IdentityConfig.isConfigured(settings)) {
            return Optional.empty();
        }
        Key key = Key.of(settings);
        synchronized (IDENTITIES) {
            return Optional.ofNullable(IDENTITIES.get(key)).map(entry -> entry.identity);
        }
    }

    private static final class ThreadFactoryOf implements java.util.concurrent.ThreadFactory {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable runnable) {
            Thread thread = new Thread(runnable, "ciphertrail-identity-renewal-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    }
}
