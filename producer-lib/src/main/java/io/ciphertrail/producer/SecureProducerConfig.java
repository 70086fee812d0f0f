package io.ciphertrail.producer;

import io.ciphertrail.core.config.PatternList;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.tls.TlsConfig;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@code ciphertrail.*} settings of the producer library, beside the ordinary Kafka producer
 * settings: TLS ({@code ciphertrail.tls.*}), KMS ({@code ciphertrail.kms.*}), envelope
 * ({@code ciphertrail.envelope.*}) and the producer's own below.
 */
public final class SecureProducerConfig extends AbstractConfig {
    public static final String ENCRYPT_INCLUDE_CONFIG = "ciphertrail.encrypt.topics.include";
    public static final String ENCRYPT_EXCLUDE_CONFIG = "ciphertrail.encrypt.topics.exclude";
    public static final String BOUND_TOPICS_CONFIG = "ciphertrail.encrypt.bound.topics";
    public static final String WEAK_DURABILITY_ALLOWED_CONFIG = "ciphertrail.producer.weak.durability.allowed";
    public static final String KEY_SERIALIZER_INNER_CONFIG = "ciphertrail.key.serializer.inner";
    public static final String VALUE_SERIALIZER_INNER_CONFIG = "ciphertrail.value.serializer.inner";
    public static final String TRACEPARENT_HEADER_CONFIG = "ciphertrail.producer.traceparent.header";

    private static final ConfigDef CONFIG = KmsConfig.addTo(EnvelopeConfig.addTo(TlsConfig.addTo(new ConfigDef())))
            .define(ENCRYPT_INCLUDE_CONFIG, Type.LIST, ".*", new PatternList(), Importance.HIGH,
                    "Regular expressions of the topics whose records are encrypted. Default: every topic.")
            .define(ENCRYPT_EXCLUDE_CONFIG, Type.LIST, "", new PatternList(), Importance.MEDIUM,
                    "Regular expressions of topics left unencrypted even though they match the include list.")
            .define(BOUND_TOPICS_CONFIG, Type.LIST, "", new BoundTopics(), Importance.MEDIUM,
                    "Entries 'sent-to:encrypted-for': records sent to the first topic are encrypted for the second,"
                            + " because a policy gate forwards them there (e.g. orders.ingress:orders). Other topics are"
                            + " encrypted for themselves.")
            .define(WEAK_DURABILITY_ALLOWED_CONFIG, Type.BOOLEAN, false, Importance.LOW,
                    "The producer runs with enable.idempotence=true and acks=all. Weakening either is refused"
                            + " unless this is true, and then logged as a warning.")
            .define(TRACEPARENT_HEADER_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM,
                    "Also write the W3C traceparent header on encrypted records. The envelope carries the whole trace"
                            + " context, and Ciphertrail's consumers, deserializers, policy service and tools read it from there"
                            + " and give consumed records their traceparent back, so the header is only for tools outside"
                            + " Ciphertrail that read records raw; it costs about 68 stored bytes per record. Records of"
                            + " unencrypted topics, and every record while " + EnvelopeConfig.FORMAT_VERSION_CONFIG + "=1, carry"
                            + " the header regardless.")
            .define(KEY_SERIALIZER_INNER_CONFIG, Type.CLASS, null, Importance.MEDIUM,
                    "When SecureSerializer is the key.serializer: the serializer that turns keys into bytes first.")
            .define(VALUE_SERIALIZER_INNER_CONFIG, Type.CLASS, null, Importance.MEDIUM,
                    "When SecureSerializer is the value.serializer: the serializer that turns values into bytes"
                            + " before encryption (any Serializer, Confluent's included).");

    public SecureProducerConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
    }

    /** Whether encrypted records keep their {@code traceparent} header on the wire. */
    public boolean writesTraceHeader() {
        return getBoolean(TRACEPARENT_HEADER_CONFIG) || new EnvelopeConfig(originals()).formatVersion() == 1;
    }

    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    private static final class BoundTopics implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            for (Object entry : (List<?>) value) {
                String[] parts = entry.toString().split(":");
                if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                    throw new ConfigException(name, entry, "entries are 'sent-to-topic:encrypted-for-topic'");
                }
            }
        }

        @Override
        public String toString() {
            return "a list of sent-to:encrypted-for topic pairs";
        }
    }
}
