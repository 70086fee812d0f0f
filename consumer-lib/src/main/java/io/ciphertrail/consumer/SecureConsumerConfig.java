package io.ciphertrail.consumer;

import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.tls.TlsConfig;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@code ciphertrail.*} settings of the consumer library, beside the ordinary Kafka consumer
 * settings: TLS, KMS and envelope settings shared with the producer, and what to do with a record
 * that fails.
 */
public final class SecureConsumerConfig extends AbstractConfig {
    public static final String FAILURE_POLICY_CONFIG = "ciphertrail.consumer.failure.policy";
    public static final String DEAD_LETTER_TOPIC_CONFIG = "ciphertrail.consumer.dead.letter.topic";
    public static final String DECRYPT_THREADS_CONFIG = "ciphertrail.consumer.decrypt.threads";
    public static final String KEY_DESERIALIZER_INNER_CONFIG = "ciphertrail.key.deserializer.inner";
    public static final String VALUE_DESERIALIZER_INNER_CONFIG = "ciphertrail.value.deserializer.inner";

    /** What a consumer does with a record it cannot decrypt, verify or deserialize. */
    public enum FailurePolicy {
        /** Stop on it: poll throws {@link RecordDecryptionException} and the position stays on the record. */
        FAIL,
        /** Write the record, untouched, with reason headers to the dead-letter topic, then go on. */
        DEAD_LETTER
    }

    private static final ConfigDef CONFIG = KmsConfig.addTo(EnvelopeConfig.addTo(TlsConfig.addTo(new ConfigDef())))
            .define(FAILURE_POLICY_CONFIG, Type.STRING, FailurePolicy.FAIL.name(),
                    ValidString.in(FailurePolicy.FAIL.name(), FailurePolicy.DEAD_LETTER.name()), Importance.HIGH,
                    "FAIL: poll throws an exception naming topic, partition, offset and reason, and the consumer does"
                            + " not move past the record. DEAD_LETTER: the raw record goes, byte for byte, with reason"
                            + " headers to " + "ciphertrail.consumer.dead.letter.topic" + ", then consumption continues.")
            .define(DEAD_LETTER_TOPIC_CONFIG, Type.STRING, "", Importance.HIGH,
                    "Topic for records that fail, with the DEAD_LETTER policy. It must exist; the consumer's identity"
                            + " needs WRITE on it.")
            .define(DECRYPT_THREADS_CONFIG, Type.INT, 2,
                    ConfigDef.Range.between(1, 64), Importance.LOW,
                    "Threads that decrypt and verify the records of one poll, the polling thread included: a poll of"
                            + " many records is split between them while the application still polls from one thread."
                            + " Records come back in order, the deserializers run on the polling thread, and the failure"
                            + " policy applies exactly as with 1. Set 1 to decrypt on the polling thread alone.")
            .define(KEY_DESERIALIZER_INNER_CONFIG, Type.CLASS, null, Importance.MEDIUM,
                    "When SecureDeserializer is the key.deserializer: the deserializer for the decrypted key bytes.")
            .define(VALUE_DESERIALIZER_INNER_CONFIG, Type.CLASS, null, Importance.MEDIUM,
                    "When SecureDeserializer is the value.deserializer: the deserializer for the decrypted bytes.");

    public SecureConsumerConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
        if (failurePolicy() == FailurePolicy.DEAD_LETTER && getString(DEAD_LETTER_TOPIC_CONFIG).isBlank()) {
            throw new ConfigException(DEAD_LETTER_TOPIC_CONFIG, "", "the DEAD_LETTER failure policy needs a topic to write failed records to");
        }
    }

    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    public FailurePolicy failurePolicy() {
        return FailurePolicy.valueOf(getString(FAILURE_POLICY_CONFIG));
    }

    public int decryptThreads() {
        return getInt(DECRYPT_THREADS_CONFIG);
    }

    public String deadLetterTopic() {
        return getString(DEAD_LETTER_TOPIC_CONFIG);
    }
}
