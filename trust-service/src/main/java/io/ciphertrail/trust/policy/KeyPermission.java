package io.ciphertrail.trust.policy;

/** What a key policy rule grants on the keys it names. None implies another: administrators cannot read data. */
public enum KeyPermission {
    /** Generate data keys wrapped under the KEK (and resolve its newest version): write a topic. */
    ENCRYPT,
    /** Unwrap data keys wrapped under the KEK: read a topic. */
    DECRYPT,
    /** Derive keys from the KEK (deterministic record-key encryption), and resolve its newest version. */
    DERIVE,
    /** Create, rotate, list and destroy the KEK's versions; no use of the key itself. */
    ADMIN
}
