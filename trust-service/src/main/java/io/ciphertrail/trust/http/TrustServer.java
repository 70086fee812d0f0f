package io.ciphertrail.trust.http;

import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import io.ciphertrail.trust.ca.WorkloadCa;
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
 * The Jetty server: the API connector (HTTPS, client certificate required), the bootstrap connector (HTTPS
 * authenticated by the server only, for a workload's first certificate, when the CA runs) and, unless turned off,
 * the plain management connector for health and metrics. Requests are routed by the connector they came through,
 * so nothing of the API is ever reachable without mutual TLS, and the bootstrap connector serves one call only.
 */
public final class TrustServer implements AutoCloseable {
    private static final String API = "api";
    private static final String BOOTSTRAP = "bootstrap";
    private static final String MANAGEMENT = "management";

    private final Server server;
    private final ServerConnector api;
    private final ServerConnector bootstrap;
    private final ServerConnector management;

    /**
     * Settings of the listeners. {@code managementPort} below 0 turns the management listener off, as does
     * {@code bootstrapPort} the bootstrap listener (which exists only with a CA).
     */
    public record Listeners(String host, int port, String managementHost, int managementPort, long idleTimeoutMs,
                            int maxRequestBytes, long ratePerSecond, long rateBurst, String principalMappingRules,
                            String bootstrapHost, int bootstrapPort, long bootstrapRatePerSecond, long bootstrapRateBurst) {
    }

    /**
     * @param ca            the workload CA, or null for a key service only
     * @param bootstrapTls  engines authenticating the server only, for the bootstrap listener (with a CA)
     */
    public TrustServer(Listeners listeners, ReloadingSslEngineFactory tls, ReloadingSslEngineFactory bootstrapTls, KeyService keys,
                       WorkloadCa ca, PrincipalMapper principals, TrustMetrics metrics, Supplier<String> health) {
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

        if (ca != null && listeners.bootstrapPort() >= 0) {
            bootstrap = new ServerConnector(server, new SslConnectionFactory(new KafkaSslContextFactory(bootstrapTls), "http/1.1"),
                    new HttpConnectionFactory(https));
            bootstrap.setName(BOOTSTRAP);
            bootstrap.setHost(listeners.bootstrapHost());
            bootstrap.setPort(listeners.bootstrapPort());
            bootstrap.setIdleTimeout(listeners.idleTimeoutMs());
            server.addConnector(bootstrap);
        } else {
            bootstrap = null;
        }

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

        CertificateHandler certificates = new CertificateHandler(ca, listeners.maxRequestBytes());
        Handler apiHandler = new ApiHandler(keys, certificates, principals,
                new RateLimits(listeners.ratePerSecond(), listeners.rateBurst()), metrics, listeners.maxRequestBytes());
        Handler bootstrapHandler = new BootstrapHandler(certificates,
                new RateLimits(listeners.bootstrapRatePerSecond(), listeners.bootstrapRateBurst()), metrics);
        Handler managementHandler = new ManagementHandler(metrics, health);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                Connector connector = request.getConnectionMetaData().getConnector();
                return switch (connector.getName()) {
                    case API -> apiHandler.handle(request, response, callback);
                    case BOOTSTRAP -> bootstrapHandler.handle(request, response, callback);
                    default -> managementHandler.handle(request, response, callback);
                };
            }
        });
        try {
            server.start();
        } catch (Exception e) {
            close();
            throw new IllegalStateException("Cannot start the trust service's listeners (" + listeners.host() + ":" + listeners.port()
                    + (bootstrap == null ? "" : ", bootstrap " + listeners.bootstrapHost() + ":" + listeners.bootstrapPort())
                    + (management == null ? "" : ", " + listeners.managementHost() + ":" + listeners.managementPort()) + "): " + e.getMessage(), e);
        }
    }

    /** The API port (useful when 0 was asked for). */
    public int port() {
        return api.getLocalPort();
    }

    /** The bootstrap port, or -1 when the listener is off. */
    public int bootstrapPort() {
        return bootstrap == null ? -1 : bootstrap.getLocalPort();
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
