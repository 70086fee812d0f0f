package io.ciphertrail.embedded;

import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.core.pki.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.config.SslConfigs;

/** What a TLS listener presents to a new connection: one mutual TLS handshake as a client identity. */
final class TlsProbe {
    private TlsProbe() {
    }

    /** The certificate the listener at {@code host:port} presents now, to a client that presents {@code client}. */
    static X509Certificate presentedCertificate(TlsFiles client, String host, int port) {
        char[] password = client.kafkaSslProperties().get(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG).toString().toCharArray();
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(KeyStores.load(client.keyStore(), password), password);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(KeyStores.load(client.trustStore(), password));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(host, port)) {
                socket.setSoTimeout(10_000);
                socket.startHandshake();
                return (X509Certificate) socket.getSession().getPeerCertificates()[0];
            }
        } catch (IOException e) {
            throw new UncheckedIOException("No TLS handshake with " + host + ":" + port + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot set up TLS to " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** Returns once the listener presents {@code expected} to new connections, or fails after {@code timeout} saying what it presents. */
    static void awaitPresented(TlsFiles client, String host, int port, X509Certificate expected, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        X509Certificate presented;
        while (!(presented = presentedCertificate(client, host, port)).equals(expected)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " on " + host + ":" + port + " still presents certificate serial "
                        + presented.getSerialNumber().toString(16) + " " + timeout.toSeconds() + " s after serial "
                        + expected.getSerialNumber().toString(16) + " was written");
            }
            Processes.sleep(100);
        }
    }
}
