package io.ciphertrail.trust;

import io.ciphertrail.core.pki.TlsFiles;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/** Plain JDK HTTPS clients with chosen key material, for what a well-behaved KMS client would never send. */
final class TlsClients {
    private TlsClients() {
    }

    static HttpClient client(TlsFiles identity) {
        return client(identity, identity, null);
    }

    /** {@code keys} may be null (no client certificate); {@code protocols} null for the defaults. */
    static HttpClient client(TlsFiles keys, TlsFiles trust, SSLParameters parameters) {
        try {
            char[] password = password(trust);
            KeyStore trustStore = load(trust.trustStore(), password);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore);
            KeyManagerFactory kmf = null;
            if (keys != null) {
                char[] keyPassword = password(keys);
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load(keys.keyStore(), keyPassword), keyPassword);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            HttpClient.Builder builder = HttpClient.newBuilder().sslContext(context).version(HttpClient.Version.HTTP_1_1);
            if (parameters != null) {
                builder.sslParameters(parameters);
            }
            return builder.build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static char[] password(TlsFiles files) {
        return files.kafkaSslProperties().get("ssl.keystore.password").toString().toCharArray();
    }

    private static KeyStore load(Path file, char[] password) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password);
        }
        return store;
    }
}
