package io.ciphertrail.broker.authorizer;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.config.internals.BrokerSecurityConfigs;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.security.auth.AuthenticationContext;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.KafkaPrincipalBuilder;
import org.apache.kafka.common.security.auth.KafkaPrincipalSerde;
import org.apache.kafka.common.security.auth.SslAuthenticationContext;
import org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder;
import org.apache.kafka.common.security.kerberos.KerberosShortNamer;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's default principal builder ({@code ssl.principal.mapping.rules} and all) that keeps, for a TLS client, which
 * certificate authenticated it: a {@link CertificatePrincipal} with the serial and the expiry. Set it as
 * {@code principal.builder.class} on every broker and controller, beside the {@link SecureTransportAuthorizer}:
 * the authorizer then refuses requests on connections whose certificate has expired (short-lived workload certificates
 * bound how long a stolen key is worth something, even on a connection opened before it was stolen), and logger
 * {@code io.ciphertrail.broker.connections} at DEBUG shows each connection's certificate serial.
 */
public final class CertificatePrincipalBuilder implements KafkaPrincipalBuilder, KafkaPrincipalSerde, Configurable {
    private static final Logger CONNECTIONS = LoggerFactory.getLogger("io.ciphertrail.broker.connections");
    /** Where a connection's TLS session keeps its principal. */
    private static final String SESSION_PRINCIPAL = CertificatePrincipal.class.getName();

    private DefaultKafkaPrincipalBuilder delegate = new DefaultKafkaPrincipalBuilder(null, SslPrincipalMapper.fromRules("DEFAULT"));

    @Override
    public void configure(Map<String, ?> configs) {
        Object rules = configs.get(BrokerSecurityConfigs.SSL_PRINCIPAL_MAPPING_RULES_CONFIG);
        Object kerberos = configs.get(BrokerSecurityConfigs.SASL_KERBEROS_PRINCIPAL_TO_LOCAL_RULES_CONFIG);
        KerberosShortNamer shortNamer = kerberos instanceof java.util.List<?> list
                ? KerberosShortNamer.fromUnparsedRules("", list.stream().map(Object::toString).toList()) : null;
        delegate = new DefaultKafkaPrincipalBuilder(shortNamer, SslPrincipalMapper.fromRules(rules == null ? "DEFAULT" : rules.toString()));
    }

    /**
     * Kafka asks for the principal on every request of a connection; the TLS session (one per connection) keeps the one
     * built for its first request, so the certificate is read and the connection logged once.
     */
    @Override
    public KafkaPrincipal build(AuthenticationContext context) {
        if (context instanceof SslAuthenticationContext ssl) {
            SSLSession session = ssl.session();
            if (session.getValue(SESSION_PRINCIPAL) instanceof KafkaPrincipal known) {
                return known;
            }
            KafkaPrincipal principal = buildForConnection(ssl);
            session.putValue(SESSION_PRINCIPAL, principal);
            return principal;
        }
        return delegate.build(context);
    }

    private KafkaPrincipal buildForConnection(SslAuthenticationContext ssl) {
        KafkaPrincipal principal = delegate.build(ssl);
        if (principal.equals(KafkaPrincipal.ANONYMOUS)) {
            return principal;
        }
        try {
            Certificate[] chain = ssl.session().getPeerCertificates();
            if (chain.length > 0 && chain[0] instanceof X509Certificate certificate) {
                CertificatePrincipal withCertificate = new CertificatePrincipal(principal.getPrincipalType(), principal.getName(),
                        certificate.getSerialNumber().toString(16), certificate.getNotAfter().getTime());
                CONNECTIONS.debug("{} connected from {} on {} with certificate serial {} valid until {}", principal,
                        ssl.clientAddress().getHostAddress(), ssl.listenerName(), withCertificate.serialHex(), withCertificate.notAfter());
                return withCertificate;
            }
        } catch (SSLPeerUnverifiedException e) {
            return principal;
        }
        return principal;
    }

    @Override
    public byte[] serialize(KafkaPrincipal principal) throws SerializationException {
        return delegate.serialize(new KafkaPrincipal(principal.getPrincipalType(), principal.getName(), principal.tokenAuthenticated()));
    }

    @Override
    public KafkaPrincipal deserialize(byte[] bytes) throws SerializationException {
        return delegate.deserialize(bytes);
    }
}
