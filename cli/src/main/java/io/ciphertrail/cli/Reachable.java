package io.ciphertrail.cli;

import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.remote.RemoteKmsProvider;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Fails fast when the platform is not there: before a Kafka client waits a minute for metadata, a plain TCP connect
 * (a few seconds at most) tells whether anything listens at the bootstrap servers or the key service URLs. Only
 * "nothing answers" is decided here; TLS and authorization problems are the clients' to report, and they do so at once.
 */
final class Reachable {
    private static final int CONNECT_TIMEOUT_MS = 3_000;

    private Reachable() {
    }

    /** Throws naming {@code bootstrap.servers} and {@code hint} when none of the brokers accepts a connection. */
    static void brokers(Map<String, Object> settings, String hint) {
        Object bootstrap = settings.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        if (bootstrap == null || bootstrap.toString().isBlank()) {
            throw new IllegalStateException("The client settings name no brokers (bootstrap.servers is missing); " + hint);
        }
        List<String> failures = new ArrayList<>();
        for (String server : bootstrap.toString().split(",")) {
            String address = server.trim();
            int colon = address.lastIndexOf(':');
            if (colon <= 0) {
                failures.add(address + " (not host:port)");
                continue;
            }
            String failure = connect(address.substring(0, colon).replace("[", "").replace("]", ""),
                    Integer.parseInt(address.substring(colon + 1)));
            if (failure == null) {
                return;
            }
            failures.add(address + " (" + failure + ")");
        }
        throw new IllegalStateException("Cannot reach the brokers at " + bootstrap + ": " + String.join("; ", failures) + ". " + hint);
    }

    /** With the key service as KMS ({@code ciphertrail.kms.type=remote}): throws when none of its instances accepts a connection. */
    static void keyService(Map<String, Object> settings, String hint) {
        if (!"remote".equals(String.valueOf(settings.get(KmsConfig.TYPE_CONFIG)).trim())) {
            return;
        }
        Object urls = settings.get(RemoteKmsProvider.URLS_CONFIG);
        if (urls == null || urls.toString().isBlank()) {
            return;
        }
        List<String> failures = new ArrayList<>();
        for (String url : urls.toString().split(",")) {
            try {
                URI uri = URI.create(url.trim());
                String failure = connect(uri.getHost(), uri.getPort() < 0 ? 443 : uri.getPort());
                if (failure == null) {
                    return;
                }
                failures.add(url.trim() + " (" + failure + ")");
            } catch (IllegalArgumentException e) {
                return;
            }
        }
        throw new IllegalStateException("Cannot reach the key service at " + urls + ": " + String.join("; ", failures) + ". " + hint);
    }

    /** Null when something accepts a connection at host:port, else why not. */
    private static String connect(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
            return null;
        } catch (UnknownHostException e) {
            return "unknown host";
        } catch (ConnectException e) {
            return "connection refused";
        } catch (SocketTimeoutException e) {
            return "no answer within " + CONNECT_TIMEOUT_MS / 1000 + " s";
        } catch (IOException e) {
            return e.getMessage();
        }
    }
}
