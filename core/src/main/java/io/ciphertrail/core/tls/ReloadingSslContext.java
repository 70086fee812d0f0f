package io.ciphertrail.core.tls;

import java.security.KeyManagementException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * An {@link SSLContext} for the JDK's {@code java.net.http.HttpClient} whose engines come from a
 * {@link ReloadingSslEngineFactory}: the same stores, TLS policy and certificate reload as the client's
 * Kafka connections, so a renewed certificate is presented on the next connection and no second TLS
 * configuration exists. Only engines are offered; sockets are not (the HTTP client uses engines).
 */
public final class ReloadingSslContext extends SSLContext {

    private ReloadingSslContext(ReloadingSslEngineFactory factory) {
        super(new Spi(factory), factory.sslContext().getProvider(), factory.sslContext().getProtocol());
    }

    /** A client context over {@code factory}; hand it to {@code HttpClient.newBuilder().sslContext(...)}. */
    public static SSLContext client(ReloadingSslEngineFactory factory) {
        return new ReloadingSslContext(factory);
    }

    /**
     * The parameters an HTTP client should apply to each connection: the protocols and cipher suites the
     * factory's engines enable, so the client does not replace them with the JDK's defaults.
     */
    public static SSLParameters clientParameters(ReloadingSslEngineFactory factory) {
        SSLEngine engine = factory.createClientSslEngine("localhost", 0, "HTTPS");
        SSLParameters parameters = new SSLParameters(engine.getEnabledCipherSuites(), engine.getEnabledProtocols());
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        return parameters;
    }

    private static final class Spi extends SSLContextSpi {
        private final ReloadingSslEngineFactory factory;

        Spi(ReloadingSslEngineFactory factory) {
            this.factory = factory;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            throw new KeyManagementException("This context takes its keys from the ssl.* settings it was built from");
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return factory.createClientSslEngine(host, port, "HTTPS");
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            throw new UnsupportedOperationException("A peer host is required, for host name verification");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw new UnsupportedOperationException("Only engines are offered");
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException("Only client engines are offered");
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return factory.sslContext().getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return factory.sslContext().getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return clientParameters(factory);
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return factory.sslContext().getSupportedSSLParameters();
        }
    }
}
