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

    /** The KMS for clients; fails when the KEKs' storage does not exist, never creating an empty one. */
    Kms createKms(Map<String, ?> configs);

    /** The operator tools; fails like {@link #createKms} when the KEKs' storage does not exist. */
    KmsAdmin createAdmin(Map<String, ?> configs);

    /**
     * Creates the empty storage this provider keeps KEKs in, where that is an explicit step (a key store
     * file), and returns where it is. Never replaces storage that exists: a store created where one was
     * lost would hand out different keys under the old names.
     */
    default String initialize(Map<String, ?> configs) {
        throw new KmsException("The '" + type() + "' KMS is set up by its own tools, not by Ciphertrail;"
                + " create its KEKs with 'ciphertrail keys create'");
    }
}
