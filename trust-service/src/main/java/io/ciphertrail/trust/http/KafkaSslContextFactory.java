package io.ciphertrail.trust.http;

import io.ciphertrail.core.tls.ReloadingSslEngineFactory;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Jetty's TLS hook handed over to core's {@link ReloadingSslEngineFactory}: every server engine is made by
 * Kafka's own engine factory from the {@code ssl.*} settings, as a broker listener's would be (client
 * certificate required, TLS 1.3/1.2, forward-secret suites), and renewed key or trust stores are picked up
 * without a restart. Jetty's own protocol and suite selection is bypassed so there is one TLS policy, not two.
 */
final class KafkaSslContextFactory extends SslContextFactory.Server {
    private final ReloadingSslEngineFactory engines;

    KafkaSslContextFactory(ReloadingSslEngineFactory engines) {
        this.engines = engines;
        try {
            // Jetty wants a context to start with; no engine ever comes from it.
            setSslContext(javax.net.ssl.SSLContext.getDefault());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no TLS", e);
        }
    }

    @Override
    public SSLEngine newSSLEngine() {
        return engines.createServerSslEngine(null, -1);
    }

    @Override
    public SSLEngine newSSLEngine(String host, int port) {
        return engines.createServerSslEngine(host, port);
    }

    @Override
    public SSLEngine newSSLEngine(InetSocketAddress address) {
        return address == null ? newSSLEngine() : newSSLEngine(address.getHostString(), address.getPort());
    }

    @Override
    protected void checkConfiguration() {
        // Jetty's checks concern its own suite selection, which is not used.
    }

    @Override
    public void customize(SSLEngine engine) {
        // Configured completely by the engine factory.
    }

    @Override
    public SSLParameters customize(SSLParameters parameters) {
        return parameters;
    }
}
