package io.ciphertrail.broker.authorizer;

import java.time.Instant;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

/**
 * A principal authenticated by a client certificate, remembering which one: its serial and when it expires. ACLs,
 * super users and quotas see the plain principal ({@code User:orders-service}); the
 * {@link SecureTransportAuthorizer} uses the expiry to refuse requests on a connection whose certificate has expired
 * since it was opened, which TLS alone never re-checks.
 */
public final class CertificatePrincipal extends KafkaPrincipal {
    private final String serialHex;
    private final long notAfterMillis;

    public CertificatePrincipal(String type, String name, String serialHex, long notAfterMillis) {
        super(type, name);
        this.serialHex = serialHex;
        this.notAfterMillis = notAfterMillis;
    }

    /** The client certificate's serial number, in hexadecimal. */
    public String serialHex() {
        return serialHex;
    }

    public Instant notAfter() {
        return Instant.ofEpochMilli(notAfterMillis);
    }

    boolean expiredAt(long nowMillis) {
        return nowMillis > notAfterMillis;
    }
}
