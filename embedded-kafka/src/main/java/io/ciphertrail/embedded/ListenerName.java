package io.ciphertrail.embedded;

/** The listeners of a Ciphertrail broker. Every one but {@link #PLAINTEXT} is mutual TLS. */
enum ListenerName {
    /** Client traffic. */
    SSL,
    /** Replication and broker-to-broker traffic. */
    INTERNAL,
    /** KRaft controller traffic. */
    CONTROLLER,
    /** Optional, insecure: exists only to show that it is refused. */
    PLAINTEXT
}
