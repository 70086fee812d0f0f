package io.ciphertrail.trust.http;

import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import io.ciphertrail.trust.keys.KeyService;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The Jetty server: the API connector (HTTPS, client certificate required) and, unless turned off, the
 * plain management connector for health and metrics. Requests are routed by the connector they came
 * through, so nothing of the API is ever reachable without mutual TLS.
 */
public final class TrustServer implements AutoCloseable {
    private static final String API = "api";
    private static final String MANAGEMENT = "management";

    private final Server server;
    private final ServerConnector api;
    private final ServerConnector management;

    /** Settings of the listeners. {@code managementPort} below 0 turns the management listener off. */
    public record Listeners(String host, int port, String managementHost, int managementPort, long idleTimeoutMs,
                            int maxRequestBytes, long ratePerSecond, long rateBurst, String principalMappingRules) {
    }

    public TrustServer(Listeners listeners, ReloadingSslEngineFactory tls, KeyService keys, TrustMetrics metrics, Supplier<String> health) {
        QueuedThreadPool threads = new QueuedThreadPool(64, 4);
        threads.setName("ciphertrail-trust-http");
        threads.setDaemon(true);
        server = new Server(threads);
        ErrorHandler errors = new ErrorHandler();
        errors.setShowStacks(false);
        errors.setShowMessageInTitle(false);
        server.setErrorHandler(errors);

        HttpConfiguration https = new HttpConfiguration();
        https.setSendServerVersion(false);
        https.setSendDateHeader(false);
        https.setRequestHeaderSize(8 * 1024);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        secure.setSniRequired(false);
        https.addCustomizer(secure);
        api = new ServerConnector(server, new SslConnectionFactory(new KafkaSslContextFactory(tls), "http/1.1"),
                new HttpConnectionFactory(https));
        api.setName(API);
        api.setHost(listeners.host());
        api.setPort(listeners.port());
        api.setIdleTimeout(listeners.idleTimeoutMs());
        server.addConnector(api);

        if (listeners.managementPort() >= 0) {
            HttpConfiguration plain = new HttpConfiguration();
            plain.setSendServerVersion(false);
            management = new ServerConnector(server, new HttpConnectionFactory(plain));
            management.setName(MANAGEMENT);
            management.setHost(listeners.managementHost());
            management.setPort(listeners.managementPort());
            server.addConnector(management);
        } else {
            management = null;
        }

        Handler apiHandler = new ApiHandler(keys, new PrincipalMapper(listeners.principalMappingRules()),
                new RateLimits(listeners.ratePerSecond(), listeners.rateBurst()), metrics, listeners.maxRequestBytes());
        Handler managementHandler = new ManagementHandler(metrics, health);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                Connector connector = request.getConnectionMetaData().getConnector();
                return API.equals(connector.getName()) ? apiHandler.handle(request, response, callback)
                        : managementHandler.handle(request, response, callback);
            }
        });
        try {
            server.start();
        } catch (Exception e) {
            close();
            throw new IllegalStateException("Cannot start the trust service's listeners (" + listeners.host() + ":" + listeners.port()
                    + (management == null ? "" : ", " + listeners.managementHost() + ":" + listeners.managementPort()) + "): " + e.getMessage(), e);
        }
    }

    /** The API port (useful when 0 was asked for). */
    public int port() {
        return api.getLocalPort();
    }

    /** The management port, or -1 when the listener is off. */
    public int managementPort() {
        return management == null ? -1 : management.getLocalPort();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot stop the trust service's listeners: " + e.getMessage(), e);
        }
    }
}
