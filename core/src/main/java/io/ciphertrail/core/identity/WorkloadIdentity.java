package io.ciphertrail.core.identity;

import io.ciphertrail.core.identity.IdentityApi.CertificateRequest;
import io.ciphertrail.core.identity.IdentityApi.CertificateResponse;
import io.ciphertrail.core.kms.SecretSource;
import io.ciphertrail.core.pki.CertificateInfo;
import io.ciphertrail.core.pki.CertificateSigningRequest;
import io.ciphertrail.core.pki.Pem;
import io.ciphertrail.core.pki.PkiException;
import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import java.net.URI;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One workload identity of this process: its key pair (generated in memory for every certificate, never written
 * anywhere), the short-lived certificate the trust service issued for it, and the renewal that replaces both at half
 * life (with jitter, so a fleet started together does not renew together). The first certificate is obtained with
 * the one-time bootstrap token from the token file or environment variable; every later one by renewing over mutual
 * TLS with the current certificate. A failed renewal is retried with back-off while the current certificate stays
 * in use; once it has expired, {@link #requireValid()} fails with the trust service's last answer.
 *
 * <p>Listeners (the engine factories of this identity's clients) get every new certificate as it arrives.
 * Get instances from {@link WorkloadIdentities}, which keeps one per process and name.
 */
public final class WorkloadIdentity {
    private static final Logger LOG = LoggerFactory.getLogger(WorkloadIdentity.class);
    /** Renewal at half life, give or take this fraction of the life. */
    private static final double JITTER = 0.05;

    private final IdentityConfig config;
    private final String name;
    private final Map<String, Object> tlsSettings;
    private final List<X509Certificate> anchors;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    /** The CA of this process, or null: the trust service over HTTPS. */
    private final CertificateIssuer issuer;
    private final List<Consumer<IdentityMaterial>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong renewals = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    private volatile IdentityMaterial current;
    private volatile String lastFailure;
    private ScheduledFuture<?> next;
    private int consecutiveFailures;
    private long expiredReported = -1;
    private String refusedToken;

    WorkloadIdentity(Map<String, ?> settings, CertificateIssuer issuer, ScheduledExecutorService scheduler, Clock clock) {
        this.config = new IdentityConfig(settings);
        this.name = config.identity();
        this.tlsSettings = tlsSettings(settings);
        this.anchors = Anchors.of(settings);
        this.scheduler = scheduler;
        this.clock = clock;
        this.issuer = issuer;
        if (issuer == null) {
            config.urls();
        }
    }

    public String name() {
        return name;
    }

    /** The certificate in use now, if one was obtained (it may have expired: see {@link #requireValid()}). */
    public Optional<IdentityMaterial> current() {
        return Optional.ofNullable(current);
    }

    /** The CA certificates peers are checked against: the trust service's bundle once it sent one, else the configured trust store. */
    public List<X509Certificate> trusted() {
        IdentityMaterial material = current;
        return material == null || material.bundle().isEmpty() ? anchors : material.bundle();
    }

    /** Seconds until the current certificate expires (negative once it has); NaN before the first one. */
    public double secondsLeft() {
        IdentityMaterial material = current;
        return material == null ? Double.NaN : material.left(clock.instant()).toMillis() / 1000.0;
    }

    public long renewals() {
        return renewals.get();
    }

    public long renewalFailures() {
        return failures.get();
    }

    /**
     * The current material if its certificate is valid now.
     *
     * @throws IdentityException naming the identity, the trust service and its last answer otherwise
     */
    public IdentityMaterial requireValid() {
        IdentityMaterial material = current;
        Instant now = clock.instant();
        if (material != null && material.validAt(now)) {
            return material;
        }
        throw new IdentityException(IdentityError.CA_UNAVAILABLE, (material == null
                ? "Workload identity '" + name + "' has no certificate yet"
                : "The certificate of workload identity '" + name + "' (serial " + material.serialHex() + ") expired at " + material.notAfter())
                + ": the trust service " + urls() + " could not renew it" + (lastFailure == null ? "" : " (" + lastFailure + ")")
                + ". The client cannot connect until it does: check that the trust service runs and answers, and whether the"
                + " identity was barred ('ciphertrail certs barred')");
    }

    /** Called with each new certificate, on the renewal thread. */
    public void addListener(Consumer<IdentityMaterial> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<IdentityMaterial> listener) {
        listeners.remove(listener);
    }

    /**
     * Makes sure a valid certificate is in hand (renewing now if the current one is past its renewal point, or
     * obtaining the first one), waiting at most {@code ciphertrail.identity.initial.timeout.ms}, and schedules the
     * renewals.
     *
     * @throws IdentityException with the trust service's answer when no certificate could be obtained in time
     */
    synchronized void start() {
        IdentityMaterial material = current;
        Instant now = clock.instant();
        if (material == null || !material.validAt(now) || !renewalPoint(material).isAfter(now)) {
            obtainWithin(Duration.ofMillis(config.getLong(IdentityConfig.INITIAL_TIMEOUT_MS_CONFIG)));
        }
        if (next == null || next.isDone()) {
            schedule(renewalPoint(current));
        }
    }

    /** Stops renewing (no client uses the identity any more); the certificate stays for a later {@link #start()}. */
    synchronized void stop() {
        if (next != null) {
            next.cancel(false);
            next = null;
        }
    }

    /** Renews now, whatever the schedule says: for operators' tools and tests. */
    public synchronized IdentityMaterial renewNow() {
        install(obtain());
        schedule(renewalPoint(current));
        return current;
    }

    private void obtainWithin(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long backoff = config.getLong(IdentityConfig.RETRY_BACKOFF_MS_CONFIG);
        while (true) {
            try {
                install(obtain());
                return;
            } catch (IdentityException e) {
                lastFailure = e.getMessage();
                boolean tokenMayChange = e.error().tokenProblem();
                long wait = Math.min(backoff, Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                if ((!e.error().retriable() && !tokenMayChange) || wait <= 0) {
                    throw new IdentityException(e.error(), "Workload identity '" + name + "' got no certificate from the trust service "
                            + urls() + ": " + e.getMessage(), e);
                }
                LOG.info("Workload identity '{}' got no certificate yet ({}); asking again in {} ms", name, e.getMessage(), wait);
                sleep(wait);
                backoff = Math.min(backoff * 2, config.getLong(IdentityConfig.RETRY_BACKOFF_MAX_MS_CONFIG));
            }
        }
    }

    /** A new key pair and a certificate for it: renewed with the current certificate, or bootstrapped with the token. */
    private IdentityMaterial obtain() {
        KeyPair keyPair = config.keyAlgorithm().generateKeyPair();
        String csr = CertificateSigningRequest.create(keyPair, name).toPem();
        Long lifetime = config.getLong(IdentityConfig.LIFETIME_MS_CONFIG) > 0
                ? Math.max(1, config.getLong(IdentityConfig.LIFETIME_MS_CONFIG) / 1000) : null;
        IdentityMaterial material = current;
        CertificateResponse response;
        if (issuer != null) {
            response = issuer.issue(new CertificateRequest(csr, lifetime, null));
        } else if (material != null && material.validAt(clock.instant())) {
            response = client(material.sslSettings(tlsSettings, trustedForCalls()), config.urls())
                    .post(IdentityApi.RENEW, new CertificateRequest(csr, lifetime, null), CertificateResponse.class);
        } else {
            String token = token();
            try {
                response = client(IdentityMaterial.serverAuthOnly(tlsSettings, trustedForCalls()), bootstrapUrls())
                        .post(IdentityApi.BOOTSTRAP, new CertificateRequest(csr, lifetime, token), CertificateResponse.class);
            } catch (IdentityException e) {
                if (e.error().tokenProblem()) {
                    refusedToken = token;
                }
                throw e;
            }
        }
        return material(keyPair, response);
    }

    private IdentityMaterial material(KeyPair keyPair, CertificateResponse response) {
        try {
            List<X509Certificate> chain = Pem.decodeCertificates(response.chain(), "the trust service's answer");
            List<X509Certificate> bundle = response.bundle() == null || response.bundle().isBlank() ? List.of()
                    : Pem.decodeCertificates(response.bundle(), "the trust service's trust bundle");
            if (!chain.get(0).getPublicKey().equals(keyPair.getPublic())) {
                throw new IdentityException(IdentityError.INTERNAL, "The trust service certified another key than the one requested");
            }
            String issuedFor = CertificateInfo.of(chain.get(0)).commonName();
            if (!issuedFor.equals(name)) {
                throw new IdentityException(IdentityError.INTERNAL, "The trust service issued a certificate for '" + issuedFor
                        + "' instead of '" + name + "'");
            }
            long generation = current == null ? 1 : current.generation() + 1;
            return new IdentityMaterial(keyPair.getPrivate(), chain, bundle, generation, clock.instant());
        } catch (PkiException e) {
            throw new IdentityException(IdentityError.INTERNAL, "The trust service's answer holds no usable certificate: " + e.getMessage(), e);
        }
    }

    private void install(IdentityMaterial material) {
        boolean renewal = current != null;
        current = material;
        lastFailure = null;
        consecutiveFailures = 0;
        if (renewal) {
            renewals.incrementAndGet();
        }
        LOG.info("Workload identity '{}': certificate serial {} valid until {} ({}, from {})", name, material.serialHex(),
                material.notAfter(), renewal ? "renewed" : "first", urls());
        for (Consumer<IdentityMaterial> listener : listeners) {
            try {
                listener.accept(material);
            } catch (RuntimeException e) {
                LOG.warn("A user of workload identity '{}' failed to take its new certificate: {}", name, e.toString());
            }
        }
    }

    private synchronized void renewal() {
        next = null;
        try {
            install(obtain());
            schedule(renewalPoint(current));
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            lastFailure = e.getMessage();
            consecutiveFailures++;
            long backoff = Math.min(config.getLong(IdentityConfig.RETRY_BACKOFF_MAX_MS_CONFIG),
                    config.getLong(IdentityConfig.RETRY_BACKOFF_MS_CONFIG) << Math.min(20, consecutiveFailures - 1));
            IdentityMaterial material = current;
            Instant now = clock.instant();
            if (material.validAt(now)) {
                LOG.warn("Could not renew the certificate of workload identity '{}' (serial {}, valid {} s more, until {}): {};"
                        + " asking again in {} ms, the current certificate stays in use", name, material.serialHex(),
                        material.left(now).toSeconds(), material.notAfter(), e.getMessage(), backoff);
            } else if (expiredReported != material.generation()) {
                expiredReported = material.generation();
                LOG.error("The certificate of workload identity '{}' (serial {}) expired at {} and the trust service {} has not renewed it: {}."
                        + " New connections fail until it does; asking again every {} ms or less", name, material.serialHex(),
                        material.notAfter(), urls(), e.getMessage(), backoff);
            } else {
                LOG.warn("Workload identity '{}' still has no valid certificate: {}; asking again in {} ms", name, e.getMessage(), backoff);
            }
            schedule(now.plusMillis(backoff));
        }
    }

    private void schedule(Instant at) {
        if (next != null) {
            next.cancel(false);
        }
        long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis());
        next = scheduler.schedule(this::renewal, delay, TimeUnit.MILLISECONDS);
    }

    /** Half the time from arrival to expiry, give or take the jitter. */
    private Instant renewalPoint(IdentityMaterial material) {
        long life = Duration.between(material.receivedAt(), material.notAfter()).toMillis();
        double fraction = 0.5 + ThreadLocalRandom.current().nextDouble(-JITTER, JITTER);
        return material.receivedAt().plusMillis((long) (life * fraction));
    }

    /** The token from its file or variable; one the service refused is offered again only once the source holds another. */
    private String token() {
        if (bootstrapUrls().isEmpty()) {
            throw new IdentityException(IdentityError.BAD_REQUEST, "a first certificate needs the trust service's bootstrap listener:"
                    + " set " + IdentityConfig.BOOTSTRAP_URLS_CONFIG);
        }
        String token;
        try {
            char[] secret = SecretSource.read(IdentityConfig.BOOTSTRAP_TOKEN_FILE_CONFIG, config.getString(IdentityConfig.BOOTSTRAP_TOKEN_FILE_CONFIG),
                    IdentityConfig.BOOTSTRAP_TOKEN_ENV_CONFIG, config.getString(IdentityConfig.BOOTSTRAP_TOKEN_ENV_CONFIG));
            token = new String(secret).trim();
            java.util.Arrays.fill(secret, '\0');
        } catch (ConfigException e) {
            throw new IdentityException(IdentityError.TOKEN_UNKNOWN, "a first certificate needs a one-time bootstrap token"
                    + " ('ciphertrail certs token --identity " + name + "'): " + e.getMessage());
        }
        if (token.equals(refusedToken)) {
            throw new IdentityException(IdentityError.TOKEN_USED, "the bootstrap token in "
                    + tokenSource() + " was refused already; put a new one there ('ciphertrail certs token --identity " + name + "')");
        }
        return token;
    }

    private String tokenSource() {
        String file = config.getString(IdentityConfig.BOOTSTRAP_TOKEN_FILE_CONFIG);
        return file.isBlank() ? "$" + config.getString(IdentityConfig.BOOTSTRAP_TOKEN_ENV_CONFIG) : file;
    }

    private TrustServiceClient client(Map<String, Object> tls, List<URI> urls) {
        return new TrustServiceClient(urls, ReloadingSslEngineFactory.fromSettings(tls, false),
                Duration.ofMillis(config.getLong(IdentityConfig.CONNECT_TIMEOUT_MS_CONFIG)),
                Duration.ofMillis(config.getLong(IdentityConfig.REQUEST_TIMEOUT_MS_CONFIG)));
    }

    /** The trust service is checked against the configured trust store and the bundle it sent (a rotation may move it to a new CA). */
    private List<X509Certificate> trustedForCalls() {
        LinkedHashSet<X509Certificate> trusted = new LinkedHashSet<>(anchors);
        IdentityMaterial material = current;
        if (material != null) {
            trusted.addAll(material.bundle());
        }
        return new ArrayList<>(trusted);
    }

    private List<URI> bootstrapUrls() {
        return config.bootstrapUrls();
    }

    private String urls() {
        if (issuer != null) {
            return "(the CA of this process)";
        }
        return config.urls().stream().map(URI::toString).collect(Collectors.joining(", "));
    }

    /** The ssl.* and ciphertrail.tls.* settings: protocols, suites, host name verification, for the calls to the trust service. */
    private static Map<String, Object> tlsSettings(Map<String, ?> settings) {
        Map<String, Object> tls = new java.util.HashMap<>();
        settings.forEach((key, value) -> {
            if ((key.startsWith("ssl.") || key.startsWith("ciphertrail.tls.")) && value != null) {
                tls.put(key, value);
            }
        });
        return tls;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IdentityException(IdentityError.CA_UNAVAILABLE, "interrupted while waiting for a certificate");
        }
    }

    @Override
    public String toString() {
        return "WorkloadIdentity[" + name + ", " + current + "]";
    }
}
