package io.ciphertrail.trust.ca;

import io.ciphertrail.core.identity.IdentityApi.BarRequest;
import io.ciphertrail.core.identity.IdentityApi.BarredIdentity;
import io.ciphertrail.core.identity.IdentityApi.CertificateRequest;
import io.ciphertrail.core.identity.IdentityApi.CertificateResponse;
import io.ciphertrail.core.identity.IdentityApi.TokenRequest;
import io.ciphertrail.core.identity.IdentityApi.TokenResponse;
import io.ciphertrail.core.identity.IdentityError;
import io.ciphertrail.core.identity.IdentityException;
import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.CertificateInfo;
import io.ciphertrail.core.pki.CertificateSigningRequest;
import io.ciphertrail.core.pki.CertificateSpec;
import io.ciphertrail.core.pki.CsrRefusedException;
import io.ciphertrail.core.pki.Pem;
import io.ciphertrail.core.pki.RequestedCertificate;
import io.ciphertrail.trust.TrustServiceConfig;
import io.ciphertrail.trust.audit.IdentityAudit;
import io.ciphertrail.trust.audit.IdentityEvent;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workload CA's decisions. A certificate is issued for the identity a checked request names, with the subject
 * {@code CN=<identity>,O=Ciphertrail} (so the principal is the one the brokers map it to today) and the SPIFFE ID
 * {@code spiffe://<trust-domain>/<identity>}, for a lifetime the policy bounds:
 *
 * <ul>
 *   <li>a first certificate ({@link #bootstrap}) against a one-time token for that identity, which grants its names
 *       and whether it may serve (a broker); the token is spent only when everything else allows the request;</li>
 *   <li>a later one ({@link #renew}) against the caller's current certificate: the new one must map to the same
 *       principal (Kafka's own mapping rules) and gets the same names and usage, nothing more.</li>
 * </ul>
 *
 * Barred identities get nothing. Everything, issued or refused, is audited; a refusal names its reason.
 */
public final class WorkloadCa implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkloadCa.class);
    /** What an identity may be: a principal name and a SPIFFE path segment alike. */
    static final Pattern IDENTITY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final Duration DEFAULT_TOKEN_TTL = Duration.ofMinutes(10);

    /** Who asks: the principal mapped from its client certificate (User:ANONYMOUS on the bootstrap listener), its address and certificate. */
    public record Requester(String principal, String address, X509Certificate certificate) {
    }

    /** Lifetimes, trust domain and administrators. */
    public record Policy(String trustDomain, Duration lifetime, Duration minLifetime, Duration maxLifetime, Duration maxTokenTtl,
                         Set<String> administrators) {
    }

    /** What a request may get: a server certificate or not, and its names. */
    private record Entitlement(boolean server, List<String> dnsNames, List<String> ipAddresses) {
    }

    private final CertificateAuthority ca;
    private final TrustBundle bundle;
    private final IdentityLedger ledger;
    private final IdentityAudit audit;
    private final Policy policy;
    private final Function<X500Principal, String> principals;
    private final List<Consumer<String>> tokenUses = new CopyOnWriteArrayList<>();
    private final AtomicLong issued = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();

    /**
     * Opens the trust bundle the settings name and starts reading the ledger topic; the CA ({@code ca}, opened with
     * {@link CaKeys}) issues once the ledger has been read.
     */
    public static WorkloadCa start(TrustServiceConfig config, CertificateAuthority ca, Map<String, Object> kafka, IdentityAudit audit,
                                   String instance, Function<X500Principal, String> principals) {
        TrustBundle bundle;
        try {
            bundle = new TrustBundle(ca.certificate(), config.getString(TrustServiceConfig.CA_BUNDLE_FILE_CONFIG),
                    Duration.ofMillis(config.getLong(TrustServiceConfig.KEY_POLICY_CHECK_INTERVAL_MS_CONFIG)));
        } catch (RuntimeException e) {
            throw new ConfigException(TrustServiceConfig.CA_BUNDLE_FILE_CONFIG, config.getString(TrustServiceConfig.CA_BUNDLE_FILE_CONFIG),
                    e.getMessage());
        }
        Duration min = Duration.ofMillis(config.getLong(TrustServiceConfig.CA_LIFETIME_MIN_MS_CONFIG));
        Duration max = Duration.ofMillis(config.getLong(TrustServiceConfig.CA_LIFETIME_MAX_MS_CONFIG));
        Duration lifetime = Duration.ofMillis(config.getLong(TrustServiceConfig.CA_LIFETIME_MS_CONFIG));
        if (min.compareTo(max) > 0 || lifetime.compareTo(min) < 0 || lifetime.compareTo(max) > 0) {
            throw new ConfigException(TrustServiceConfig.CA_LIFETIME_MS_CONFIG, lifetime.toMillis(), "must lie between "
                    + TrustServiceConfig.CA_LIFETIME_MIN_MS_CONFIG + " (" + min.toMillis() + ") and " + TrustServiceConfig.CA_LIFETIME_MAX_MS_CONFIG
                    + " (" + max.toMillis() + ")");
        }
        String trustDomain = config.getString(TrustServiceConfig.CA_TRUST_DOMAIN_CONFIG);
        if (!trustDomain.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?")) {
            throw new ConfigException(TrustServiceConfig.CA_TRUST_DOMAIN_CONFIG, trustDomain,
                    "a SPIFFE trust domain is lower-case letters, digits, '.' and '-', e.g. prod.example.com");
        }
        Policy policy = new Policy(trustDomain, lifetime, min, max, Duration.ofMillis(config.getLong(TrustServiceConfig.CA_TOKEN_TTL_MAX_MS_CONFIG)),
                Set.copyOf(config.getList(TrustServiceConfig.CA_ADMINISTRATORS_CONFIG)));
        IdentityLedger ledger = new IdentityLedger(config.getString(TrustServiceConfig.CA_LEDGER_TOPIC_CONFIG), kafka, ca, bundle, instance,
                Duration.ofMillis(config.getLong(TrustServiceConfig.CA_LEDGER_TIMEOUT_MS_CONFIG)));
        LOG.info("Workload CA {} issues certificates for spiffe://{}/<identity>, {} s by default ({} to {} s); ledger topic '{}'",
                CertificateInfo.of(ca.certificate()).subject(), trustDomain, lifetime.toSeconds(), min.toSeconds(), max.toSeconds(),
                config.getString(TrustServiceConfig.CA_LEDGER_TOPIC_CONFIG));
        return new WorkloadCa(ca, bundle, ledger, audit, policy, principals);
    }

    WorkloadCa(CertificateAuthority ca, TrustBundle bundle, IdentityLedger ledger, IdentityAudit audit, Policy policy,
               Function<X500Principal, String> principals) {
        this.ca = ca;
        this.bundle = bundle;
        this.ledger = ledger;
        this.audit = audit;
        this.policy = policy;
        this.principals = principals;
    }

    /** A first certificate, against a one-time bootstrap token. */
    public CertificateResponse bootstrap(Requester requester, CertificateRequest request) {
        return issue(requester, request, true);
    }

    /** A new certificate for the identity of the caller's current one. */
    public CertificateResponse renew(Requester requester, CertificateRequest request) {
        return issue(requester, request, false);
    }

    private CertificateResponse issue(Requester requester, CertificateRequest request, boolean bootstrap) {
        String operation = bootstrap ? "BOOTSTRAP" : "RENEW";
        Attempt attempt = new Attempt(requester, operation);
        try {
            requireReady();
            RequestedCertificate requested = check(request, attempt);
            attempt.key = requested.keyDescription();
            String identity = requested.commonName();
            attempt.identity = identity;
            requireIdentityName(identity);
            X500Principal subject = CertificateSpec.workload(identity).subject();
            if (!requested.subject().equals(subject)) {
                throw refusal(IdentityError.BAD_CSR, "the request asks for the subject '" + requested.subjectName() + "'; the CA issues '"
                        + subject.getName() + "' for identity " + identity + " (so the principal is the one the brokers expect):"
                        + " make the request for that subject");
            }
            Entitlement entitlement;
            String tokenHash = null;
            if (bootstrap) {
                tokenHash = BootstrapTokens.hash(request.token() == null ? "" : request.token());
                attempt.tokenId = BootstrapTokens.id(tokenHash);
                entitlement = tokenEntitlement(request, tokenHash, identity);
            } else {
                entitlement = renewalEntitlement(requester, subject, identity);
            }
            ledger.bar(identity).ifPresent(bar -> {
                throw refusal(IdentityError.IDENTITY_BARRED, "identity " + identity + " is barred (" + bar.reason() + ", by " + bar.by()
                        + "): no certificate is issued for it until an administrator lifts the bar ('ciphertrail certs unbar')");
            });
            requireNames(requested, entitlement, identity, bootstrap);
            if (bootstrap && !ledger.claim(tokenHash)) {
                throw refusal(IdentityError.TOKEN_USED, "the bootstrap token " + attempt.tokenId + " was used by another request a moment"
                        + " earlier: tokens are single use; create a new one ('ciphertrail certs token --identity " + identity + "')");
            }
            Duration lifetime = lifetime(request.lifetimeSeconds());
            CertificateSpec spec = (entitlement.server() ? CertificateSpec.broker(identity) : CertificateSpec.workload(identity))
                    .dnsNames(entitlement.dnsNames()).ipAddresses(entitlement.ipAddresses())
                    .uris(List.of(spiffeId(identity))).validity(lifetime);
            X509Certificate certificate = ca.signCsr(CertificateSigningRequest.parse(request.csr(), "the request"), spec);
            CertificateInfo info = CertificateInfo.of(certificate);
            audit.record(attempt.issued(info));
            issued.incrementAndGet();
            if (bootstrap) {
                String used = identity;
                tokenUses.forEach(listener -> listener.accept(used));
            }
            LOG.info("Issued {} for {} (serial {}, valid until {}) to {} at {}", entitlement.server() ? "a server certificate" : "a certificate",
                    identity, info.serialHex(), info.notAfter(), requester.principal(), requester.address());
            return new CertificateResponse(identity, spiffeId(identity), info.serialHex(), info.notBefore().toEpochMilli(),
                    info.notAfter().toEpochMilli(), Pem.encodeCertificates(List.of(certificate, ca.certificate())), bundle.pem());
        } catch (IdentityException e) {
            audit.record(attempt.refused(e.error(), e.getMessage()));
            refused.incrementAndGet();
            throw e;
        }
    }

    /** Certificates issued since start. */
    public long issued() {
        return issued.get();
    }

    /** Certificate requests refused since start. */
    public long refused() {
        return refused.get();
    }

    /** Checks the request; a refused one is audited with the identity and key it asked for, as far as they can be read. */
    private static RequestedCertificate check(CertificateRequest request, Attempt attempt) {
        if (request.csr() == null || request.csr().isBlank()) {
            throw refusal(IdentityError.BAD_REQUEST, "the request must carry the PKCS#10 request (PEM): 'csr'");
        }
        CertificateSigningRequest csr = null;
        try {
            csr = CertificateSigningRequest.parse(request.csr(), "the request");
            return csr.check();
        } catch (CsrRefusedException e) {
            if (csr != null) {
                attempt.key = csr.keyDescription();
                try {
                    attempt.identity = csr.commonName() == null ? "" : csr.commonName();
                } catch (RuntimeException unreadable) {
                    // the subject is what was refused: the event names no identity
                }
            }
            throw refusal(IdentityError.of(e), e.getMessage());
        }
    }

    private Entitlement tokenEntitlement(CertificateRequest request, String hash, String identity) {
        if (request.token() == null || request.token().isBlank()) {
            throw refusal(IdentityError.TOKEN_UNKNOWN, "a first certificate needs a one-time bootstrap token: 'token'");
        }
        TokenGrant grant = ledger.token(hash).orElseThrow(() -> refusal(IdentityError.TOKEN_UNKNOWN, "no bootstrap token with this value"
                + " exists (it was never created here, or was mistyped); create one with 'ciphertrail certs token --identity " + identity + "'"));
        if (System.currentTimeMillis() >= grant.expiresAt()) {
            throw refusal(IdentityError.TOKEN_EXPIRED, "the bootstrap token " + grant.tokenId() + " for " + grant.identity() + " expired at "
                    + java.time.Instant.ofEpochMilli(grant.expiresAt()) + "; create a new one ('ciphertrail certs token --identity "
                    + grant.identity() + "')");
        }
        if (ledger.claimed(hash)) {
            throw refusal(IdentityError.TOKEN_USED, "the bootstrap token " + grant.tokenId() + " for " + grant.identity()
                    + " was used already: tokens are single use. If this workload did not use it, someone else did: bar the identity"
                    + " ('ciphertrail certs bar --identity " + grant.identity() + "') and look at the audit trail");
        }
        if (!grant.identity().equals(identity)) {
            throw refusal(IdentityError.WRONG_IDENTITY, "the bootstrap token " + grant.tokenId() + " is for identity " + grant.identity()
                    + ", but the request asks for " + identity);
        }
        return new Entitlement(grant.server(), grant.dnsNames(), grant.ipAddresses());
    }

    /** A renewal gets what the caller's current certificate has, for the principal that certificate maps to. */
    private Entitlement renewalEntitlement(Requester requester, X500Principal subject, String identity) {
        if (requester.certificate() == null) {
            throw refusal(IdentityError.WRONG_IDENTITY, "a renewal needs the caller's current certificate (mutual TLS)");
        }
        String asked = principals.apply(subject);
        if (!asked.equals(requester.principal())) {
            throw refusal(IdentityError.WRONG_IDENTITY, requester.principal() + " may renew only its own identity, but the request asks"
                    + " for " + identity + " (" + asked + ")");
        }
        CertificateInfo current = CertificateInfo.of(requester.certificate());
        try {
            List<String> usages = requester.certificate().getExtendedKeyUsage();
            return new Entitlement(usages != null && usages.contains(SERVER_AUTH), current.dnsNames(), current.ipAddresses());
        } catch (CertificateParsingException e) {
            throw refusal(IdentityError.WRONG_IDENTITY, "the caller's certificate has an unreadable extended key usage");
        }
    }

    /** The request may name only what the certificate will carry: the entitled names and its own SPIFFE ID. */
    private void requireNames(RequestedCertificate requested, Entitlement entitlement, String identity, boolean bootstrap) {
        List<String> extra = new ArrayList<>();
        requested.dnsNames().stream().filter(dns -> !entitlement.dnsNames().contains(dns)).forEach(dns -> extra.add("DNS:" + dns));
        requested.ipAddresses().stream().filter(ip -> !entitlement.ipAddresses().contains(ip)).forEach(ip -> extra.add("IP:" + ip));
        requested.uris().stream().filter(uri -> !uri.equals(spiffeId(identity))).forEach(uri -> extra.add("URI:" + uri));
        if (!extra.isEmpty()) {
            throw refusal(IdentityError.WRONG_IDENTITY, "the request for " + identity + " asks for names " + extra + " that its "
                    + (bootstrap ? "bootstrap token" : "current certificate") + " does not grant; the certificate gets "
                    + (entitlement.dnsNames().isEmpty() && entitlement.ipAddresses().isEmpty() ? "no names but" : "DNS " + entitlement.dnsNames()
                    + ", IP " + entitlement.ipAddresses() + " and") + " its SPIFFE ID " + spiffeId(identity));
        }
    }

    private Duration lifetime(Long requestedSeconds) {
        if (requestedSeconds == null || requestedSeconds <= 0) {
            return policy.lifetime();
        }
        Duration requested = Duration.ofSeconds(requestedSeconds);
        return requested.compareTo(policy.minLifetime()) < 0 ? policy.minLifetime()
                : requested.compareTo(policy.maxLifetime()) > 0 ? policy.maxLifetime() : requested;
    }

    /** A bootstrap token, for an administrator. */
    public TokenResponse createToken(Requester requester, TokenRequest request) {
        Attempt attempt = new Attempt(requester, "CREATE_TOKEN");
        attempt.identity = request.identity() == null ? "" : request.identity();
        try {
            requireAdministrator(requester, "create bootstrap tokens");
            return issueToken(requester.principal(), request, attempt);
        } catch (IdentityException e) {
            audit.record(attempt.refused(e.error(), e.getMessage()));
            throw e;
        }
    }

    /** A bootstrap token created by the process that embeds the CA (the local platform), audited as {@code issuedBy}. */
    public TokenResponse createToken(String issuedBy, TokenRequest request) {
        Attempt attempt = new Attempt(new Requester(issuedBy, "in-process", null), "CREATE_TOKEN");
        attempt.identity = request.identity() == null ? "" : request.identity();
        try {
            return issueToken(issuedBy, request, attempt);
        } catch (IdentityException e) {
            audit.record(attempt.refused(e.error(), e.getMessage()));
            throw e;
        }
    }

    private TokenResponse issueToken(String issuedBy, TokenRequest request, Attempt attempt) {
        requireReady();
        String identity = request.identity();
        requireIdentityName(identity);
        ledger.bar(identity).ifPresent(bar -> {
            throw refusal(IdentityError.IDENTITY_BARRED, "identity " + identity + " is barred (" + bar.reason() + "): lift the bar"
                    + " ('ciphertrail certs unbar') before creating a token for it");
        });
        Duration ttl = request.ttlSeconds() == null || request.ttlSeconds() <= 0 ? DEFAULT_TOKEN_TTL : Duration.ofSeconds(request.ttlSeconds());
        if (ttl.compareTo(policy.maxTokenTtl()) > 0) {
            throw refusal(IdentityError.BAD_REQUEST, "a token may live at most " + policy.maxTokenTtl().toSeconds()
                    + " s (ciphertrail.trust.ca.token.ttl.max.ms); asked for " + ttl.toSeconds() + " s");
        }
        boolean server = Boolean.TRUE.equals(request.server());
        List<String> dns = request.dnsNames() == null ? List.of() : request.dnsNames();
        List<String> ips = request.ipAddresses() == null ? List.of() : request.ipAddresses().stream().map(WorkloadCa::ipAddress).toList();
        if (!server && (!dns.isEmpty() || !ips.isEmpty())) {
            throw refusal(IdentityError.BAD_REQUEST, "DNS names and IP addresses are for server certificates (a broker's): add 'server'");
        }
        if (server && dns.isEmpty() && ips.isEmpty()) {
            throw refusal(IdentityError.BAD_REQUEST, "a server certificate needs the DNS names or IP addresses its clients connect to");
        }
        String token = BootstrapTokens.newToken();
        long now = System.currentTimeMillis();
        TokenGrant grant = new TokenGrant(BootstrapTokens.hash(token), identity, server, dns, ips, now + ttl.toMillis(), issuedBy, now);
        ledger.recordToken(grant);
        attempt.tokenId = grant.tokenId();
        audit.record(attempt.done(grant.expiresAt(), "a bootstrap token for " + identity + (server ? " (server: DNS " + dns + ", IP " + ips + ")" : "")
                + ", valid " + ttl.toSeconds() + " s"));
        LOG.info("Bootstrap token {} created for {} by {}, valid until {}", grant.tokenId(), identity, issuedBy,
                java.time.Instant.ofEpochMilli(grant.expiresAt()));
        return new TokenResponse(token, grant.tokenId(), identity, grant.expiresAt());
    }

    /** Bars an identity: no certificate (and, at the key service, no key operation) for it until the bar is lifted. */
    public BarredIdentity bar(Requester requester, BarRequest request) {
        return setBar(requester, request, true);
    }

    public BarredIdentity unbar(Requester requester, BarRequest request) {
        return setBar(requester, request, false);
    }

    private BarredIdentity setBar(Requester requester, BarRequest request, boolean barred) {
        Attempt attempt = new Attempt(requester, barred ? "BAR" : "UNBAR");
        attempt.identity = request.identity() == null ? "" : request.identity();
        try {
            requireAdministrator(requester, barred ? "bar identities" : "lift bars");
            requireReady();
            requireIdentityName(request.identity());
            String reason = request.reason() == null || request.reason().isBlank() ? (barred ? "barred by an administrator" : "bar lifted")
                    : request.reason().strip();
            if (reason.length() > 500) {
                throw refusal(IdentityError.BAD_REQUEST, "the reason is longer than 500 characters");
            }
            Bar bar = new Bar(request.identity(), barred, reason, requester.principal(), System.currentTimeMillis());
            ledger.recordBar(bar);
            audit.record(attempt.done(0, reason));
            LOG.warn("Identity {} {} by {}: {}", bar.identity(), barred ? "barred" : "no longer barred", requester.principal(), reason);
            return new BarredIdentity(bar.identity(), bar.reason(), bar.by(), bar.at());
        } catch (IdentityException e) {
            audit.record(attempt.refused(e.error(), e.getMessage()));
            throw e;
        }
    }

    public List<BarredIdentity> barred(Requester requester) {
        requireAdministrator(requester, "list barred identities");
        return ledger.barred().stream().map(bar -> new BarredIdentity(bar.identity(), bar.reason(), bar.by(), bar.at())).toList();
    }

    /** Whether the identity a principal names is barred: the key service refuses it every key operation. */
    public java.util.Optional<String> barredPrincipal(String principal) {
        for (Bar bar : ledger.barred()) {
            if (IDENTITY.matcher(bar.identity()).matches()
                    && principals.apply(CertificateSpec.workload(bar.identity()).subject()).equals(principal)) {
                return java.util.Optional.of(bar.reason());
            }
        }
        return java.util.Optional.empty();
    }

    public String bundlePem() {
        return bundle.pem();
    }

    public TrustBundle bundle() {
        return bundle;
    }

    public IdentityLedger ledger() {
        return ledger;
    }

    /** Called with the identity whenever a bootstrap token is used (the local platform puts a new one in place). */
    public void onTokenUsed(Consumer<String> listener) {
        tokenUses.add(listener);
    }

    public String spiffeId(String identity) {
        return "spiffe://" + policy.trustDomain() + "/" + identity;
    }

    private void requireReady() {
        if (!ledger.ready()) {
            throw refusal(IdentityError.CA_UNAVAILABLE, "the CA has not read its ledger yet (" + ledger.problem() + "); try again in a moment");
        }
    }

    private void requireAdministrator(Requester requester, String what) {
        if (!policy.administrators().contains(requester.principal())) {
            throw refusal(IdentityError.NOT_ALLOWED, requester.principal() + " may not " + what + ": only "
                    + policy.administrators() + " may (ciphertrail.trust.ca.administrators)");
        }
    }

    private static void requireIdentityName(String identity) {
        if (identity == null || !IDENTITY.matcher(identity).matches()) {
            throw refusal(IdentityError.BAD_CSR, "'" + identity + "' is not a workload identity: use 1 to 64 letters, digits, '.', '_'"
                    + " or '-', starting with a letter or digit (it becomes the principal User:<identity> and a SPIFFE ID path)");
        }
    }

    private static String ipAddress(String ip) {
        try {
            if (ip.matches("[0-9.]+") || ip.contains(":")) {
                return InetAddress.getByName(ip).getHostAddress();
            }
        } catch (UnknownHostException e) {
            // refused below
        }
        throw refusal(IdentityError.BAD_REQUEST, "'" + ip + "' is not an IP address");
    }

    private static IdentityException refusal(IdentityError error, String message) {
        return new IdentityException(error, message);
    }

    /** One request as the audit trail sees it, filled in as it is understood. */
    private final class Attempt {
        final Requester requester;
        final String operation;
        String identity = "";
        String tokenId = "";
        String key = "";

        Attempt(Requester requester, String operation) {
            this.requester = requester;
            this.operation = operation;
        }

        IdentityEvent issued(CertificateInfo info) {
            return new IdentityEvent(requester.principal(), requester.address(), operation, identity, spiffeId(identity), true, "OK",
                    "issued for " + Duration.between(info.notBefore(), info.notAfter()).toSeconds() + " s", info.serialHex(),
                    info.notAfter().toEpochMilli(), tokenId, key, CertificateInfo.of(ca.certificate()).subject());
        }

        IdentityEvent done(long notAfter, String reason) {
            return new IdentityEvent(requester.principal(), requester.address(), operation, identity,
                    IDENTITY.matcher(identity).matches() ? spiffeId(identity) : "", true, "OK", reason, "", notAfter, tokenId, key, "");
        }

        IdentityEvent refused(IdentityError error, String reason) {
            return new IdentityEvent(requester.principal(), requester.address(), operation, identity,
                    IDENTITY.matcher(identity).matches() ? spiffeId(identity) : "", false, error.name(), reason, "", 0, tokenId, key, "");
        }
    }

    @Override
    public void close() {
        ledger.close();
    }
}
