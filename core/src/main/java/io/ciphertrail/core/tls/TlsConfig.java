package io.ciphertrail.core.tls;

import io.ciphertrail.core.identity.IdentityConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.SslConfigs;

/** The {@code ciphertrail.tls.*} settings, shared by every Ciphertrail client and the engine factory. */
public final class TlsConfig {
    public static final String CLIENT_CERTIFICATE_REQUIRED_CONFIG = "ciphertrail.tls.client.certificate.required";
    public static final String RELOAD_CHECK_INTERVAL_MS_CONFIG = "ciphertrail.tls.reload.check.interval.ms";
    public static final String EXPIRY_WARNING_DAYS_CONFIG = "ciphertrail.tls.expiry.warning.days";

    public static final long RELOAD_CHECK_INTERVAL_MS_DEFAULT = 5_000;
    public static final int EXPIRY_WARNING_DAYS_DEFAULT = 14;

    private TlsConfig() {
    }

    /**
     * Adds the TLS settings, with the workload identity settings ({@code ciphertrail.identity.*}: the certificate from
     * the trust service instead of a key store), to {@code def} and returns it, so client libraries can merge them into
     * their own.
     */
    public static ConfigDef addTo(ConfigDef def) {
        return IdentityConfig.addTo(def)
                .define(CLIENT_CERTIFICATE_REQUIRED_CONFIG, Type.BOOLEAN, true, Importance.HIGH,
                        "Whether the client must present a certificate (mutual TLS), so the broker knows which"
                                + " service is calling: from a key store (ssl.keystore.*) or from the trust service (ciphertrail.identity.*)."
                                + " Set to false only where identity comes from SASL over TLS instead.")
                .define(RELOAD_CHECK_INTERVAL_MS_CONFIG, Type.LONG, RELOAD_CHECK_INTERVAL_MS_DEFAULT, Range.atLeast(0),
                        Importance.MEDIUM,
                        "How often, at most, the key store and trust store files are checked for changes when a"
                                + " connection is opened. Changed files are loaded and used for new connections without a restart.")
                .define(EXPIRY_WARNING_DAYS_CONFIG, Type.INT, EXPIRY_WARNING_DAYS_DEFAULT, Range.atLeast(0),
                        Importance.MEDIUM,
                        "A warning is logged when the certificate has fewer days left than this, or, for a certificate issued"
                                + " for less than three times as long (a short-lived one, renewed at half life), less than a third"
                                + " of its lifetime.");
    }

    public static ConfigDef configDef() {
        return addTo(new ConfigDef());
    }

    /**
     * Checks a client configuration against {@link TlsPolicy} and returns a copy that uses the
     * {@link ReloadingSslEngineFactory} unless the caller chose it already, so renewed certificates
     * are picked up without a restart.
     */
    public static Map<String, Object> secureClientConfigs(Map<String, ?> configs) {
        TlsPolicy.requireSecureClient(configs);
        Map<String, Object> secured = new HashMap<>(configs);
        secured.putIfAbsent(SslConfigs.SSL_ENGINE_FACTORY_CLASS_CONFIG, ReloadingSslEngineFactory.class);
        return secured;
    }
}
