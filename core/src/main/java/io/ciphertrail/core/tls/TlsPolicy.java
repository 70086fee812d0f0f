package io.ciphertrail.core.tls;

import io.ciphertrail.core.identity.IdentityConfig;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.types.Password;

/**
 * Refuses client configurations that would let a record travel in clear, reach an impostor broker,
 * or leave the broker unable to tell which service is calling. One place for the rules, used by the
 * producer and consumer libraries, the engine factory, the policy service and the CLI.
 *
 * <p>Each refusal is a {@link ConfigException} that names the setting, why it is refused and what to set.
 * Values of password settings are never shown.
 */
public final class TlsPolicy {
    /** The only protocol versions allowed: TLS 1.0 and 1.1 are broken, SSLv3 more so. */
    public static final Set<String> ALLOWED_PROTOCOLS = Set.of("TLSv1.3", "TLSv1.2");
    /** The only {@code ssl.provider} allowed (besides none, the JVM's default): the JDK's own TLS implementation. */
    public static final Set<String> ALLOWED_SSL_PROVIDERS = Set.of("SunJSSE");
    /**
     * Prefixes under which a Kafka Streams (or tool) configuration overrides settings for one of its clients.
     * Each list is applied in order over the plain settings: {@code main.consumer.} refines {@code consumer.}.
     */
    static final List<List<String>> CLIENT_OVERRIDES = List.of(
            List.of("producer."), List.of("consumer."), List.of("admin."),
            List.of("consumer.", "main.consumer."), List.of("consumer.", "restore.consumer."), List.of("consumer.", "global.consumer."));

    private static final Set<String> SECURE_SECURITY_PROTOCOLS = Set.of("SSL", "SASL_SSL");
    private static final Set<String> TRUST_MANAGER_ALGORITHMS = Set.of("PKIX", "SunX509");
    private static final List<String> WEAK_SUITE_MARKERS = List.of("_NULL_", "_ANON_", "_EXPORT", "_RC4_", "_DES_", "_3DES_", "_MD5");
    private static final List<String> AEAD_MARKERS = List.of("_GCM_", "_CHACHA20_POLY1305_", "_CCM");
    private static final String ENGINE_FACTORY = ReloadingSslEngineFactory.class.getName();
    private static final String SECURITY_PROVIDERS_CONFIG = "security.providers";

    private TlsPolicy() {
    }

    /**
     * Checks a complete client configuration (as given to a Kafka producer, consumer, admin client or Streams),
     * and every client override it carries ({@code producer.}, {@code consumer.}, {@code admin.},
     * {@code main.consumer.}, {@code restore.consumer.}, {@code global.consumer.}), as each client would see it.
     *
     * @throws ConfigException naming the first setting that breaks the policy, with its prefix
     */
    public static void requireSecureClient(Map<String, ?> configs) {
        requireSecureClient(new Settings(configs, List.of()));
        for (List<String> layers : CLIENT_OVERRIDES) {
            String prefix = layers.get(layers.size() - 1);
            if (configs.keySet().stream().anyMatch(key -> key.startsWith(prefix))) {
                requireSecureClient(new Settings(configs, layers));
            }
        }
    }

    private static void requireSecureClient(Settings configs) {
        String protocol = configs.string(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, CommonClientConfigs.DEFAULT_SECURITY_PROTOCOL)
                .toUpperCase(Locale.ROOT);
        if (!SECURE_SECURITY_PROTOCOLS.contains(protocol)) {
            throw new ConfigException(configs.name(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG), protocol,
                    "records and credentials would travel in clear. Set security.protocol=SSL (or SASL_SSL).");
        }
        requireSecureEngineSettings(configs);
        requireClientCertificate(configs, protocol);
    }

    /**
     * Checks the {@code ssl.*} settings alone: what every TLS engine Ciphertrail creates must satisfy,
     * whatever the connection carries.
     */
    public static void requireSecureEngineSettings(Map<String, ?> configs) {
        requireSecureEngineSettings(new Settings(configs, List.of()));
    }

    private static void requireSecureEngineSettings(Settings configs) {
        if (!configs.isBlank(SECURITY_PROVIDERS_CONFIG)) {
            throw new ConfigException(configs.name(SECURITY_PROVIDERS_CONFIG), configs.string(SECURITY_PROVIDERS_CONFIG, ""),
                    "it installs security providers into the whole JVM, and a provider can replace certificate checking for"
                            + " every connection. Remove the setting; a provider the platform needs belongs in the JDK's"
                            + " java.security file, where the host's owner controls it.");
        }
        String provider = configs.string(SslConfigs.SSL_PROVIDER_CONFIG, "");
        if (!provider.isEmpty() && !ALLOWED_SSL_PROVIDERS.contains(provider)) {
            throw new ConfigException(configs.name(SslConfigs.SSL_PROVIDER_CONFIG), provider,
                    "a TLS provider decides how certificates are checked; only " + ALLOWED_SSL_PROVIDERS
                            + " is allowed. Remove the setting to use the JDK's own.");
        }
        String identification = configs.string(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG,
                SslConfigs.DEFAULT_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM);
        if (!identification.equalsIgnoreCase("https")) {
            throw new ConfigException(configs.name(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG), identification,
                    "host name verification is off, so any certificate from a trusted CA would pass as the broker."
                            + " Set ssl.endpoint.identification.algorithm=https (Kafka's default).");
        }

        List<String> enabled = configs.list(SslConfigs.SSL_ENABLED_PROTOCOLS_CONFIG, SslConfigs.DEFAULT_SSL_ENABLED_PROTOCOLS);
        if (enabled.isEmpty() || !ALLOWED_PROTOCOLS.containsAll(enabled)) {
            throw new ConfigException(configs.name(SslConfigs.SSL_ENABLED_PROTOCOLS_CONFIG), String.join(",", enabled),
                    "only TLSv1.3 and TLSv1.2 are allowed. Set ssl.enabled.protocols=TLSv1.3,TLSv1.2.");
        }
        String contextProtocol = configs.string(SslConfigs.SSL_PROTOCOL_CONFIG, SslConfigs.DEFAULT_SSL_PROTOCOL);
        if (!ALLOWED_PROTOCOLS.contains(contextProtocol) && !contextProtocol.equals("TLS")) {
            throw new ConfigException(configs.name(SslConfigs.SSL_PROTOCOL_CONFIG), contextProtocol,
                    "only TLSv1.3 and TLSv1.2 are allowed. Set ssl.protocol=TLSv1.3.");
        }

        for (String suite : configs.list(SslConfigs.SSL_CIPHER_SUITES_CONFIG, null)) {
            if (!isStrong(suite)) {
                throw new ConfigException(configs.name(SslConfigs.SSL_CIPHER_SUITES_CONFIG), suite,
                        "this cipher suite is not forward secret with authenticated encryption (or is broken): a later leak"
                                + " of a private key would expose recorded traffic, and CBC suites invite padding attacks. Use TLS 1.3 suites or TLS_ECDHE_*/TLS_DHE_* suites with AES-GCM"
                                + " or ChaCha20, or leave ssl.cipher.suites unset for the JVM's defaults.");
            }
        }

        Object factory = configs.get(SslConfigs.SSL_ENGINE_FACTORY_CLASS_CONFIG);
        String factoryName = factory instanceof Class<?> type ? type.getName() : factory == null ? null : factory.toString().trim();
        if (factoryName != null && !factoryName.isEmpty() && !factoryName.equals(ENGINE_FACTORY)) {
            throw new ConfigException(configs.name(SslConfigs.SSL_ENGINE_FACTORY_CLASS_CONFIG), factoryName,
                    "a custom engine factory replaces Kafka's certificate checks and could trust any certificate."
                            + " Remove it, or use " + ENGINE_FACTORY + ".");
        }
        String trustManager = configs.string(SslConfigs.SSL_TRUSTMANAGER_ALGORITHM_CONFIG, SslConfigs.DEFAULT_SSL_TRUSTMANAGER_ALGORITHM);
        if (!TRUST_MANAGER_ALGORITHMS.contains(trustManager)) {
            throw new ConfigException(configs.name(SslConfigs.SSL_TRUSTMANAGER_ALGORITHM_CONFIG), trustManager,
                    "only the JDK's certificate-checking trust managers (PKIX, SunX509) are allowed;"
                            + " others may trust any certificate. Remove the setting.");
        }
        if (configs.isBlank(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG) && configs.isBlank(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG)) {
            throw new ConfigException(configs.name(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG), null,
                    "no trust store is configured, so the broker would be checked against every public CA the JVM"
                            + " trusts. Set ssl.truststore.location (or ssl.truststore.certificates) to your cluster's CA.");
        }
    }

    private static void requireClientCertificate(Settings configs, String protocol) {
        Object required = configs.get(TlsConfig.CLIENT_CERTIFICATE_REQUIRED_CONFIG);
        if (required != null && !Boolean.parseBoolean(required.toString())) {
            return;
        }
        boolean keyStore = !configs.isBlank(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG) || !configs.isBlank(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG);
        boolean identity = !configs.isBlank(IdentityConfig.NAME_CONFIG);
        if (keyStore && identity) {
            throw new ConfigException(configs.name(IdentityConfig.NAME_CONFIG), configs.string(IdentityConfig.NAME_CONFIG, ""),
                    "the client's certificate would come from both a key store (" + configs.name(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG)
                            + ") and the trust service. Keep one: remove ssl.keystore.* to use the short-lived certificates of the"
                            + " trust service, or remove " + IdentityConfig.NAME_CONFIG + " to use the key store.");
        }
        if (!keyStore && !identity) {
            throw new ConfigException(configs.name(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG), null,
                    "no client certificate is configured, so the broker cannot tell which service is calling (mutual TLS)."
                            + " Set " + IdentityConfig.NAME_CONFIG + " and " + IdentityConfig.URLS_CONFIG + " to obtain short-lived"
                            + " certificates from the trust service, or ssl.keystore.location (or ssl.keystore.certificate.chain and"
                            + " ssl.keystore.key)"
                            + (protocol.equals("SASL_SSL")
                                    ? ", or set " + TlsConfig.CLIENT_CERTIFICATE_REQUIRED_CONFIG + "=false if SASL identifies this client."
                                    : "."));
        }
    }

    /**
     * The suites among {@code suites} that are forward secret and authenticated-encryption (GCM, ChaCha20-Poly1305,
     * CCM), in their order: what every engine Ciphertrail creates enables, so a TLS 1.2 peer can settle neither on an
     * RSA key exchange nor on CBC with SHA-1, even where {@code ssl.cipher.suites} is unset.
     */
    public static String[] strongSuitesOnly(String[] suites) {
        return Arrays.stream(suites).filter(TlsPolicy::isStrong).toArray(String[]::new);
    }

    static boolean isStrong(String suite) {
        return isForwardSecret(suite) && AEAD_MARKERS.stream().anyMatch(suite.trim().toUpperCase(Locale.ROOT)::contains);
    }

    /** TLS 1.3 suites are all forward secret; TLS 1.2 suites are when the key exchange is ephemeral (EC)DH. */
    static boolean isForwardSecret(String suite) {
        String name = suite.trim().toUpperCase(Locale.ROOT);
        if (WEAK_SUITE_MARKERS.stream().anyMatch(name::contains)) {
            return false;
        }
        return name.startsWith("TLS_AES_") || name.startsWith("TLS_CHACHA20_")
                || name.startsWith("TLS_ECDHE_") || name.startsWith("TLS_DHE_");
    }

    /**
     * The settings one client sees: the plain ones with each override layer's prefixed keys on top, and the
     * name under which a setting was given, for messages.
     */
    private record Settings(Map<String, ?> configs, List<String> layers) {
        Object get(String key) {
            for (int i = layers.size() - 1; i >= 0; i--) {
                if (configs.containsKey(layers.get(i) + key)) {
                    return configs.get(layers.get(i) + key);
                }
            }
            return configs.get(key);
        }

        String name(String key) {
            for (int i = layers.size() - 1; i >= 0; i--) {
                if (configs.containsKey(layers.get(i) + key)) {
                    return layers.get(i) + key;
                }
            }
            return key;
        }

        boolean isBlank(String key) {
            Object value = get(key);
            if (value instanceof Password password) {
                return password.value() == null || password.value().isBlank();
            }
            return value == null || value.toString().isBlank();
        }

        String string(String key, String defaultValue) {
            Object value = get(key);
            return value == null ? (defaultValue == null ? "" : defaultValue) : value.toString().trim();
        }

        List<String> list(String key, String defaultValue) {
            Object value = get(key);
            if (value == null) {
                value = defaultValue;
            }
            if (value == null) {
                return List.of();
            }
            Collection<?> items = value instanceof Collection<?> collection ? collection : Arrays.asList(value.toString().split(","));
            return items.stream().map(item -> item.toString().trim()).filter(item -> !item.isEmpty()).toList();
        }
    }
}
