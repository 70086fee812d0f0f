package io.ciphertrail.core.pki;

import java.time.Duration;

/**
 * What an issued certificate may be used for, and how long it lives unless the caller says otherwise.
 * Short-lived workload certificates follow the service-mesh practice: a stolen one is soon worthless.
 */
public enum CertificateProfile {
    /** A broker: TLS server to clients and peers, and TLS client to other brokers and controllers. */
    BROKER(Duration.ofDays(365)),
    /** A workload (a service): TLS client only. Its identity is the certificate's common name. */
    WORKLOAD(Duration.ofDays(30));

    private final Duration defaultValidity;

    CertificateProfile(Duration defaultValidity) {
        this.defaultValidity = defaultValidity;
    }

    public Duration defaultValidity() {
        return defaultValidity;
    }
}
