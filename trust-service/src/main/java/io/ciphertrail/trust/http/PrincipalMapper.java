package io.ciphertrail.trust.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SslAuthenticationContext;
import org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

/**
 * The caller's principal from its TLS session, by Kafka's own principal builder and
 * {@code ssl.principal.mapping.rules}: the key service sees {@code User:orders-service} exactly where
 * the brokers do, so key policies and ACLs name the same identities.
 */
public final class PrincipalMapper {
    private final DefaultKafkaPrincipalBuilder builder;
    private final SslPrincipalMapper mapper;

    public PrincipalMapper(String mappingRules) {
        this.mapper = SslPrincipalMapper.fromRules(mappingRules);
        this.builder = new DefaultKafkaPrincipalBuilder(null, mapper);
    }

    /** {@code User:<name>}, or {@code User:ANONYMOUS} when the session carries no verified certificate. */
    String principal(SSLSession session, String address) {
        KafkaPrincipal principal = builder.build(new SslAuthenticationContext(session, inet(address), "HTTPS"));
        return principal.toString();
    }

    /** The principal a certificate with this subject gets, as the brokers map it (what a renewal must keep). */
    public String principal(X500Principal subject) {
        try {
            return new KafkaPrincipal(KafkaPrincipal.USER_TYPE, mapper.getName(subject.getName())).toString();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("The subject " + subject.getName() + " matches no principal mapping rule: " + e.getMessage(), e);
        }
    }

    private static InetAddress inet(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            return InetAddress.getLoopbackAddress();
        }
    }
}
