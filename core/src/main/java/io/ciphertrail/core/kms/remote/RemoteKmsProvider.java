package io.ciphertrail.core.kms.remote;

import io.ciphertrail.core.identity.IdentityConfig;
import io.ciphertrail.core.io.HttpsUrls;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsProvider;
import io.ciphertrail.core.tls.ReloadingSslContext;
import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SslConfigs;

/**
 * {@code ciphertrail.kms.type=remote}: KEKs stay in the Ciphertrail key service, which decides by its key
 * policy what this client's identity may do. The client authenticates with the certificate of its Kafka
 * connections ({@code ssl.keystore.*} reloaded when the files change, or the workload identity of
 * {@code ciphertrail.identity.*}), so there is no KMS password or token to hand out, rotate or leak.
 */
public final class RemoteKmsProvider implements KmsProvider {
    public static final String URLS_CONFIG = "ciphertrail.kms.remote.urls";
    public static final String CONNECT_TIMEOUT_MS_CONFIG = "ciphertrail.kms.remote.connect.timeout.ms";
    public static final String REQUEST_TIMEOUT_MS_CONFIG = "ciphertrail.kms.remote.request.timeout.ms";
    public static final String FAILOVER_BACKOFF_MS_CONFIG = "ciphertrail.kms.remote.failover.backoff.ms";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(URLS_CONFIG, Type.LIST, "", Importance.HIGH,
                    "HTTPS base URLs of the key service instances, e.g. https://keys-1:8443,https://keys-2:8443."
                            + " Each client starts at a random one, stays with one that answers and fails over to the next.")
            .define(CONNECT_TIMEOUT_MS_CONFIG, Type.LONG, 3_000L, Range.atLeast(1), Importance.MEDIUM,
                    "Longest wait for a connection to one key service instance before trying the next.")
            .define(REQUEST_TIMEOUT_MS_CONFIG, Type.LONG, 5_000L, Range.atLeast(1), Importance.MEDIUM,
                    "Longest wait for one instance's answer before trying the next (for calls that may be repeated).")
            .define(FAILOVER_BACKOFF_MS_CONFIG, Type.LONG, 10_000L, Range.atLeast(0), Importance.LOW,
                    "How long an instance that failed is tried only after the others.");

    @Override
    public String type() {
        return "remote";
    }

    @Override
    public ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    @Override
    public Kms createKms(Map<String, ?> configs) {
        return remote(configs);
    }

    @Override
    public KmsAdmin createAdmin(Map<String, ?> configs) {
        return remote(configs);
    }

    /** The KEKs live in the key service's backend, which is set up where the service runs, not by its clients. */
    @Override
    public String initialize(Map<String, ?> configs) {
        throw new io.ciphertrail.core.kms.KmsException("The key service keeps the KEKs: set up its backend where it runs,"
                + " e.g. 'ciphertrail keys init --config <the key service's properties file>' for a key store file"
                + " (with 'ciphertrail up': 'ciphertrail keys init --home <home>')");
    }

    private static RemoteKms remote(Map<String, ?> configs) {
        AbstractConfig config = new AbstractConfig(CONFIG, configs, false);
        List<URI> urls = urls(config.getList(URLS_CONFIG));
        Object keyStore = configs.get(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG);
        if ((keyStore == null || keyStore.toString().isBlank()) && !IdentityConfig.isConfigured(configs)) {
            throw new ConfigException(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, null, "the key service knows a client by its"
                    + " certificate (mutual TLS), and " + URLS_CONFIG + " is set; set ssl.keystore.location to the client's key store,"
                    + " or " + IdentityConfig.NAME_CONFIG + " to its workload identity");
        }
        ReloadingSslEngineFactory tls = ReloadingSslEngineFactory.fromSettings(configs, false);
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .sslContext(ReloadingSslContext.client(tls))
                .sslParameters(ReloadingSslContext.clientParameters(tls))
                .connectTimeout(Duration.ofMillis(config.getLong(CONNECT_TIMEOUT_MS_CONFIG)))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        KeyServiceClient client = new KeyServiceClient(urls, http, Duration.ofMillis(config.getLong(REQUEST_TIMEOUT_MS_CONFIG)),
                Duration.ofMillis(config.getLong(FAILOVER_BACKOFF_MS_CONFIG)));
        return new RemoteKms(client, executor());
    }

    private static List<URI> urls(List<String> values) {
        if (values.isEmpty()) {
            throw new ConfigException(URLS_CONFIG, "", "list the key service's HTTPS URLs, e.g. https://keys-1:8443");
        }
        return HttpsUrls.parse(URLS_CONFIG, values, "keys");
    }

    private static ExecutorService executor() {
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
            Thread thread = new Thread(runnable, "ciphertrail-kms-remote-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
