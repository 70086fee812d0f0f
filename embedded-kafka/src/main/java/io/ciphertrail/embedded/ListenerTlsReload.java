package io.ciphertrail.embedded;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.SslConfigs;

/**
 * Has a running broker load its renewed key store and trust store without a restart, through dynamic broker
 * configuration: {@code listener.name.<listener>.ssl.keystore.location} (and {@code .ssl.truststore.location}) set
 * again, to the same path, for each TLS listener; Kafka rebuilds a listener's TLS context when the file behind a
 * location it is given has changed. Open connections keep working; new ones get the new certificate and trust. The
 * caller writes the files first (atomically, same passwords). The same call works against any broker, embedded or not
 * ({@code kafka-configs --alter --entity-type brokers --entity-name <id> --add-config ...} is its command-line form).
 */
public final class ListenerTlsReload {
    private ListenerTlsReload() {
    }

    /**
     * @param admin      an admin client allowed to ALTER_CONFIGS on the cluster (a super user)
     * @param nodeId     the broker's {@code node.id}
     * @param listeners  the TLS listeners whose stores to reload (as in {@code listeners}, e.g. SSL, INTERNAL, CONTROLLER)
     * @param trustStore the trust store to reload as well, or null for the key store alone
     */
    public static void reload(Admin admin, int nodeId, List<String> listeners, Path keyStore, Path trustStore, Duration timeout) {
        List<AlterConfigOp> reload = new ArrayList<>();
        for (String listener : listeners) {
            String prefix = "listener.name." + listener.toLowerCase(Locale.ROOT) + ".";
            reload.add(new AlterConfigOp(new ConfigEntry(prefix + SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keyStore.toString()),
                    AlterConfigOp.OpType.SET));
            if (trustStore != null) {
                reload.add(new AlterConfigOp(new ConfigEntry(prefix + SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, trustStore.toString()),
                        AlterConfigOp.OpType.SET));
            }
        }
        try {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(nodeId)), reload))
                    .all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Broker " + nodeId + " refused to reload its TLS stores " + keyStore
                    + (trustStore == null ? "" : " and " + trustStore) + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Broker " + nodeId + " did not confirm the reload of its TLS stores within "
                    + timeout.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while reloading broker " + nodeId + "'s TLS stores", e);
        }
    }
}
