package io.ciphertrail.core.kms;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * A kind of KMS, found through {@link java.util.ServiceLoader} and chosen by {@code ciphertrail.kms.type}.
 * Adding a provider (a cloud KMS, Vault) means a new package with one of these and a
 * {@code META-INF/services} entry; nothing in the envelope code changes.
 */
public interface KmsProvider {

    /** The value of {@code ciphertrail.kms.type} that selects this provider. */
    String type();

    /** This provider's own settings ({@code ciphertrail.kms.<type>.*}). */
    ConfigDef configDef();

    Kms createKms(Map<String, ?> configs);

    KmsAdmin createAdmin(Map<String, ?> configs);
}
