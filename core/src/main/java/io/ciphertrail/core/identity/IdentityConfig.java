package io.ciphertrail.core.identity;

import io.ciphertrail.core.io.HttpsUrls;
import io.ciphertrail.core.pki.KeyAlgorithm;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@code ciphertrail.identity.*} settings: a client's TLS identity obtained from the trust service instead of a
 * key store file. The bootstrap token comes from a file or an environment variable, never from a setting's value.
 */
public final class IdentityConfig extends AbstractConfig {
    private static final String PREFIX = "ciphertrail.identity.";
    public static final String NAME_CONFIG = PREFIX + "name";
    public static final String URLS_CONFIG = PREFIX + "urls";
    public static final String BOOTSTRAP_URLS_CONFIG = PREFIX + "bootstrap.urls";
    public static final String BOOTSTRAP_TOKEN_FILE_CONFIG = PREFIX + "bootstrap.token.file";
    public static final String BOOTSTRAP_TOKEN_ENV_CONFIG = PREFIX + "bootstrap.token.env";
    public static final String LIFETIME_MS_CONFIG = PREFIX + "certificate.lifetime.ms";
    public static final String KEY_ALGORITHM_CONFIG = PREFIX + "key.algorithm";
    public static final String INITIAL_TIMEOUT_MS_CONFIG = PREFIX + "initial.timeout.ms";
    public static final String RETRY_BACKOFF_MS_CONFIG = PREFIX + "retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS_CONFIG = PREFIX + "retry.backoff.max.ms";
    public static final String CONNECT_TIMEOUT_MS_CONFIG = PREFIX + "connect.timeout.ms";
    public static final String REQUEST_TIMEOUT_MS_CONFIG = PREFIX + "request.timeout.ms";
    public static final String RECONNECT_ON_RENEWAL_CONFIG = PREFIX + "reconnect.on.renewal";

    public static final String DEFAULT_TOKEN_ENV = "CIPHERTRAIL_BOOTSTRAP_TOKEN";

    private static final ConfigDef CONFIG = addTo(new ConfigDef());

    public IdentityConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
    }

    /** Adds the identity settings to {@code def} and returns it. */
    public static ConfigDef addTo(ConfigDef def) {
        return def
                .define(NAME_CONFIG, Type.STRING, "", Importance.HIGH,
                        "The workload identity to obtain from the trust service instead of a key store: the certificate's common"
                                + " name, so the principal is User:<name>. Set with " + URLS_CONFIG + "; leave ssl.keystore.* unset.")
                .define(URLS_CONFIG, Type.LIST, "", Importance.HIGH,
                        "HTTPS base URLs of the trust service's mutual-TLS listener (renewals, with the current certificate),"
                                + " e.g. https://trust-1:8443,https://trust-2:8443. Each is tried in turn from a random start.")
                .define(BOOTSTRAP_URLS_CONFIG, Type.LIST, "", Importance.HIGH,
                        "HTTPS base URLs of the trust service's bootstrap listener (server-authenticated only), where the first"
                                + " certificate is obtained with the one-time token, e.g. https://trust-1:8445.")
                .define(BOOTSTRAP_TOKEN_FILE_CONFIG, Type.STRING, "", Importance.HIGH,
                        "Owner-only file holding the one-time bootstrap token ('ciphertrail certs token'); read at each first-certificate"
                                + " attempt, so an orchestrator may put a new token there. Takes precedence over the environment variable.")
                .define(BOOTSTRAP_TOKEN_ENV_CONFIG, Type.STRING, DEFAULT_TOKEN_ENV, Importance.HIGH,
                        "Environment variable holding the one-time bootstrap token (used unless " + BOOTSTRAP_TOKEN_FILE_CONFIG + " is set).")
                .define(LIFETIME_MS_CONFIG, Type.LONG, 0L, Range.atLeast(0), Importance.MEDIUM,
                        "Lifetime to ask for; the trust service's policy bounds it (default 24 h). 0 takes the policy's default.")
                .define(KEY_ALGORITHM_CONFIG, Type.STRING, KeyAlgorithm.EC_P256.name(),
                        ValidString.in(KeyAlgorithm.EC_P256.name(), KeyAlgorithm.RSA_3072.name()), Importance.LOW,
                        "Key pair generated in memory for each certificate.")
                .define(INITIAL_TIMEOUT_MS_CONFIG, Type.LONG, 30_000L, Range.atLeast(1), Importance.MEDIUM,
                        "Longest wait for the first certificate when the client starts; then the client fails with the trust"
                                + " service's answer or the reason it could not be reached.")
                .define(RETRY_BACKOFF_MS_CONFIG, Type.LONG, 1_000L, Range.atLeast(1), Importance.LOW,
                        "First wait before asking again after a failed renewal; doubles with each failure.")
                .define(RETRY_BACKOFF_MAX_MS_CONFIG, Type.LONG, 60_000L, Range.atLeast(1), Importance.LOW,
                        "Longest wait between renewal attempts.")
                .define(CONNECT_TIMEOUT_MS_CONFIG, Type.LONG, 5_000L, Range.atLeast(1), Importance.LOW,
                        "Longest wait for a connection to one trust service instance before trying the next.")
                .define(REQUEST_TIMEOUT_MS_CONFIG, Type.LONG, 10_000L, Range.atLeast(1), Importance.LOW,
                        "Longest wait for one trust service instance's answer before trying the next.")
                .define(RECONNECT_ON_RENEWAL_CONFIG, Type.BOOLEAN, true, Importance.LOW,
                        "After a renewal, close each Kafka connection opened with the previous certificate at its next use (the"
                                + " client reconnects and retries), so no connection outlives the certificate it was opened with.");
    }

    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    /** Whether these client settings take the identity from the trust service. */
    public static boolean isConfigured(Map<String, ?> configs) {
        Object name = configs.get(NAME_CONFIG);
        return name != null && !name.toString().isBlank();
    }

    public String identity() {
        return getString(NAME_CONFIG).trim();
    }

    /** The mutual-TLS listener's base URLs; at least one is required. */
    public List<URI> urls() {
        return urls(URLS_CONFIG, true);
    }

    /** The bootstrap listener's base URLs; empty when only renewals are possible (the first certificate came otherwise). */
    public List<URI> bootstrapUrls() {
        return urls(BOOTSTRAP_URLS_CONFIG, false);
    }

    public KeyAlgorithm keyAlgorithm() {
        return KeyAlgorithm.valueOf(getString(KEY_ALGORITHM_CONFIG));
    }

    private List<URI> urls(String setting, boolean required) {
        List<String> values = getList(setting);
        if (values.isEmpty() && required) {
            throw new ConfigException(setting, "", "list the trust service's HTTPS URLs, e.g. https://trust-1:8443, since "
                    + NAME_CONFIG + " is set");
        }
        return HttpsUrls.parse(setting, values, "certificates and tokens");
    }
}
