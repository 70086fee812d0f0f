package io.ciphertrail.core.identity;

import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.security.ssl.DefaultSslEngineFactory;

/**
 * The CA certificates of a client's configured trust store ({@code ssl.truststore.*}, any type Kafka reads): the
 * anchor a workload checks the trust service against before the service has sent its own trust bundle.
 */
final class Anchors {
    private Anchors() {
    }

    static List<X509Certificate> of(Map<String, ?> settings) {
        Map<String, Object> ssl = new HashMap<>();
        settings.forEach((key, value) -> {
            if (key.startsWith("ssl.") && !key.startsWith("ssl.keystore.") && !key.equals(SslConfigs.SSL_KEY_PASSWORD_CONFIG)) {
                ssl.put(key, value);
            }
        });
        DefaultSslEngineFactory factory = new DefaultSslEngineFactory();
        try {
            factory.configure(new ConfigDef().withClientSslSupport().parse(ssl));
            KeyStore store = factory.truststore();
            if (store == null) {
                throw new ConfigException(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, null, "a workload identity needs the CA that"
                        + " signed the trust service's certificate: set ssl.truststore.location (or ssl.truststore.certificates)");
            }
            List<X509Certificate> anchors = new ArrayList<>();
            for (String alias : Collections.list(store.aliases())) {
                Certificate certificate = store.getCertificate(alias);
                if (certificate instanceof X509Certificate x509) {
                    anchors.add(x509);
                }
            }
            return anchors;
        } catch (KeyStoreException e) {
            throw new ConfigException(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, null, "cannot read the trust store: " + e.getMessage());
        } finally {
            factory.close();
        }
    }
}
