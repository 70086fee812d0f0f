package io.ciphertrail.core.envelope;

import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsConfig;
import java.time.Clock;
import java.util.Map;

/**
 * One client's crypto: the configured KMS, one data key cache, and the encryptor and decryptor that
 * share it, so a process that consumes what it produced never asks the KMS for its own keys.
 */
public final class EnvelopeCrypto implements AutoCloseable {
    private final Kms kms;
    private final EnvelopeConfig config;
    private final DekCache cache;
    private final CryptoListener listener;
    private EnvelopeEncryptor encryptor;
    private EnvelopeDecryptor decryptor;

    private EnvelopeCrypto(Kms kms, EnvelopeConfig config, CryptoListener listener) {
        this.kms = kms;
        this.config = config;
        this.listener = listener;
        this.cache = new DekCache(config.dekCacheMaxEntries(), config.dekCacheMaxAge().toMillis(), Clock.systemUTC());
    }

    /** Builds the KMS ({@code ciphertrail.kms.*}) and envelope settings ({@code ciphertrail.envelope.*}) from client configs. */
    public static EnvelopeCrypto create(Map<String, ?> configs, CryptoListener listener) {
        EnvelopeConfig config = new EnvelopeConfig(configs);
        return new EnvelopeCrypto(KmsConfig.kms(configs), config, listener);
    }

    public EnvelopeConfig config() {
        return config;
    }

    public synchronized EnvelopeEncryptor encryptor() {
        if (encryptor == null) {
            encryptor = new EnvelopeEncryptor(kms, config, cache, listener, Clock.systemUTC());
        }
        return encryptor;
    }

    public synchronized EnvelopeDecryptor decryptor() {
        if (decryptor == null) {
            decryptor = new EnvelopeDecryptor(kms, config, cache, listener, Clock.systemUTC());
        }
        return decryptor;
    }

    @Override
    public synchronized void close() {
        if (encryptor != null) {
            encryptor.close();
        }
        if (decryptor != null) {
            decryptor.close();
        }
        cache.close();
        kms.close();
    }
}
