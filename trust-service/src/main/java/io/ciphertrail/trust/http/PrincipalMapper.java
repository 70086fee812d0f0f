package io.ciphertrail.trust.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import javax.net.ssl.SSLSession;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SslAuthenticationContext;
import org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

/**
 * The caller's principal from its TLS session, by Kafka's own principal builder and
 * {@code ssl.principal.mapping.rules}: the key service sees {@code User:orders-service} exactly where
 * the brokers do, so key policies and ACLs name the same identities.
 */
final class PrincipalMapper {
    private final DefaultKafkaPrincipalBuilder builder;

    PrincipalMapper(String mappingRules) {
        this.builder = new DefaultKafkaPrincipalBuilder(null, SslPrincipalMapper.fromRules(mappingRules));
    }

    /** {@code User:<name>}, or {@code User:ANONYMOUS} when the session carries no verified certificate. */
    String principal(SSLSession session, String address) {
        KafkaPrincipal principal = builder.build(new SslAuthenticationContext(session, inet(address), "HTTPS"));
        return principal.toString();
    }

    private static InetAddress inet(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            return InetAddress.getLoopbackAddress();
        }
    }
}
