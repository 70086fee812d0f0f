package io.ciphertrail.consumer;

import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.tls.TlsConfig;
import java.util.List;
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
 * that fails, in an ordered consumer ({@link SecureConsumer}) and in a share group ({@link SecureShareConsumer}).
 */
public final class SecureConsumerConfig extends AbstractConfig {
    public static final String FAILURE_POLICY_CONFIG = "ciphertrail.consumer.failure.policy";
    public static final String DEAD_LETTER_TOPIC_CONFIG = "ciphertrail.consumer.dead.letter.topic";
    public static final String SHARE_FAILURE_POLICY_CONFIG = "ciphertrail.consumer.share.failure.policy";
    public static final String SHARE_DELIVERY_COUNT_LIMIT_CONFIG = "ciphertrail.consumer.share.delivery.count.limit";
    public static final String DECRYPT_THREADS_CONFIG = "ciphertrail.consumer.decrypt.threads";
    public static final String DECRYPT_AHEAD_CONFIG = "ciphertrail.consumer.decrypt.ahead";
    public static final String KEY_DESERIALIZER_INNER_CONFIG = "ciphertrail.key.deserializer.inner";
    public static final String VALUE_DESERIALIZER_INNER_CONFIG = "ciphertrail.value.deserializer.inner";

    /** What a consumer does with a record it cannot decrypt, verify or deserialize. */
    public enum FailurePolicy {
        /** Stop on it: poll throws {@link RecordDecryptionException} and the position stays on the record. */
        FAIL,
        /** Write the record, untouched, with reason headers to the dead-letter topic, then go on. */
        DEAD_LETTER
    }

    /**
     * What a share consumer does with a record that fails for a lasting reason (tampered, not encrypted,
     * encrypted for another topic, its key destroyed, unreadable). A passing cause (the KMS unreachable or
     * refusing this client: {@link RecordDecryptionException#retriable()}) releases the record for another
     * delivery whatever the policy, until the group's last allowed delivery, where the policy applies.
     */
    public enum ShareFailurePolicy {
        /** Acknowledge it as REJECT: the broker archives it and no member of the group receives it again. */
        REJECT,
        /** Write the record, untouched, with reason headers to the dead-letter topic, then acknowledge it as ACCEPT. */
        DEAD_LETTER,
        /** Acknowledge it as RELEASE: another delivery (perhaps to a member that can read it) is attempted. */
        RELEASE
    }

    private static final ConfigDef CONFIG = KmsConfig.addTo(EnvelopeConfig.addTo(TlsConfig.addTo(new ConfigDef())))
            .define(FAILURE_POLICY_CONFIG, Type.STRING, FailurePolicy.FAIL.name(),
                    ValidString.in(FailurePolicy.FAIL.name(), FailurePolicy.DEAD_LETTER.name()), Importance.HIGH,
                    "FAIL: poll throws an exception naming topic, partition, offset and reason, and the consumer does"
                            + " not move past the record. DEAD_LETTER: the raw record goes, byte for byte, with reason"
                            + " headers to " + "ciphertrail.consumer.dead.letter.topic" + ", then consumption continues.")
            .define(DEAD_LETTER_TOPIC_CONFIG, Type.STRING, "", Importance.HIGH,
                    "Topic for records that fail, with a DEAD_LETTER policy (" + FAILURE_POLICY_CONFIG + " or "
                            + SHARE_FAILURE_POLICY_CONFIG + "). It must exist; the consumer's identity needs WRITE on it.")
            .define(SHARE_FAILURE_POLICY_CONFIG, Type.STRING, ShareFailurePolicy.REJECT.name(),
                    ValidString.in(ShareFailurePolicy.REJECT.name(), ShareFailurePolicy.DEAD_LETTER.name(), ShareFailurePolicy.RELEASE.name()),
                    Importance.HIGH,
                    "SecureShareConsumer: what to do with a record that fails for a lasting reason (tampered, not encrypted,"
                            + " encrypted for another topic, key destroyed, unreadable). It is never handed to the application."
                            + " REJECT: acknowledge it as REJECT, so the broker archives it and no member of the group gets it"
                            + " again (it stays readable at its offset). DEAD_LETTER: write the raw record with reason headers to "
                            + DEAD_LETTER_TOPIC_CONFIG + ", then acknowledge it. RELEASE: give it back for another delivery, up to"
                            + " the group's delivery count limit. Whatever the policy, a passing failure (KMS_UNAVAILABLE,"
                            + " KMS_ACCESS_DENIED, KEK_NOT_USABLE: the KMS out of reach or refusing this client) is released for another delivery, and the policy applies only at the last delivery"
                            + " the group allows (" + SHARE_DELIVERY_COUNT_LIMIT_CONFIG + ").")
            .define(SHARE_DELIVERY_COUNT_LIMIT_CONFIG, Type.INT, 5, ConfigDef.Range.between(2, 25), Importance.MEDIUM,
                    "SecureShareConsumer: the share group's delivery count limit (the group's share.delivery.count.limit,"
                            + " else the brokers' group.share.delivery.count.limit, 5 unless changed). A record that fails for a"
                            + " passing reason on this delivery is handled by " + SHARE_FAILURE_POLICY_CONFIG
                            + " instead of being released, since the broker would archive it.")
            .define(DECRYPT_THREADS_CONFIG, Type.INT, 2,
                    ConfigDef.Range.between(1, 64), Importance.LOW,
                    "Threads that decrypt and verify the records of one poll, the polling thread included: a poll of"
                            + " many records is split between them while the application still polls from one thread."
                            + " Records come back in order, the deserializers run on the polling thread, and the failure"
                            + " policy applies exactly as with 1. Set 1 to decrypt on the polling thread alone.")
            .define(DECRYPT_AHEAD_CONFIG, Type.BOOLEAN, true, Importance.LOW,
                    "SecureConsumer: when a poll brings records enough to share out (" + DECRYPT_THREADS_CONFIG + " above 1),"
                            + " poll Kafka once more, without waiting, while they are decrypted, and decrypt what comes while the"
                            + " application handles this poll, for the next poll to return. Kafka's consumer fetches on the"
                            + " polling thread, so fetching then overlaps decryption instead of taking turns with it. Records held"
                            + " ahead count as not consumed: position(), commitSync() and commitAsync() without offsets,"
                            + " currentLag(), seeks, pauses and rebalances answer as of the records returned. With enable.auto.commit"
                            + " on (and a group.id) the consumer runs Kafka's auto-commit itself, as of the records returned:"
                            + " at a poll every auto.commit.interval.ms, before partitions are revoked, and at close."
                            + " false: poll and decrypt in turn.")
            .define(KEY_DESERIALIZER_INNER_CONFIG, Type.CLASS, null, Importance.MEDIUM,
                    "When SecureDeserializer is the key.deserializer: the deserializer for the decrypted key bytes.")
            .define(VALUE_DESERIALIZER_INNER_CONFIG, Type.CLASS, null, Importance.MEDIUM,
                    "When SecureDeserializer is the value.deserializer: the deserializer for the decrypted bytes.");

    public SecureConsumerConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
        if (getString(DEAD_LETTER_TOPIC_CONFIG).isBlank()) {
            for (String policy : List.of(FAILURE_POLICY_CONFIG, SHARE_FAILURE_POLICY_CONFIG)) {
                if (getString(policy).equals(FailurePolicy.DEAD_LETTER.name())) {
                    throw new ConfigException(DEAD_LETTER_TOPIC_CONFIG, "", "the DEAD_LETTER policy (" + policy
                            + ") needs a topic to write failed records to");
                }
            }
        }
    }

    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    public FailurePolicy failurePolicy() {
        return FailurePolicy.valueOf(getString(FAILURE_POLICY_CONFIG));
    }

    public ShareFailurePolicy shareFailurePolicy() {
        return ShareFailurePolicy.valueOf(getString(SHARE_FAILURE_POLICY_CONFIG));
    }

    public int shareDeliveryCountLimit() {
        return getInt(SHARE_DELIVERY_COUNT_LIMIT_CONFIG);
    }

    public int decryptThreads() {
        return getInt(DECRYPT_THREADS_CONFIG);
    }

    public boolean decryptAhead() {
        return getBoolean(DECRYPT_AHEAD_CONFIG);
    }

    public String deadLetterTopic() {
        return getString(DEAD_LETTER_TOPIC_CONFIG);
    }
}
