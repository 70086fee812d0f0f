package io.ciphertrail.consumer;

import io.ciphertrail.core.envelope.EnvelopeCrypto;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import io.ciphertrail.core.envelope.RecordKeyHandoff;
import io.ciphertrail.core.metrics.CryptoMetrics;
import io.ciphertrail.core.tls.ClientCertificate;
import io.ciphertrail.core.tls.TlsPolicy;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Wraps any {@link Deserializer}: decrypts and verifies the bytes, then hands them to the inner one.
 * A record that fails throws {@link io.ciphertrail.core.envelope.EnvelopeException}, a Kafka
 * {@code SerializationException}: a plain {@code KafkaConsumer} stops on it (poll throws, naming
 * partition and offset), and Kafka Streams applies its deserialization exception handler.
 *
 * <p>By class name: {@code value.deserializer=io.ciphertrail.consumer.SecureDeserializer} with
 * {@code ciphertrail.value.deserializer.inner=<your deserializer>}. {@link SecureConsumer} adds the
 * dead-letter policy on top.
 *
 * <p>Deletes (null values) are checked against their delete proof, whose record key the value deserializer
 * learns from the key deserializer of the same record: use this class for keys too. A plain
 * {@code KafkaConsumer} never calls its value deserializer for a null value, so there only
 * {@link SecureConsumer} checks deletes; Kafka Streams does call it, so {@link SecureSerde} checks them.
 */
public class SecureDeserializer<T> implements Deserializer<T> {
    private Deserializer<T> inner;
    private EnvelopeCrypto crypto;
    /** Read once: {@link EnvelopeCrypto#decryptor()} synchronizes, and this is used for every record. */
    private EnvelopeDecryptor decryptor;
    private CryptoMetrics metrics;
    private boolean isKey;

    public SecureDeserializer() {
    }

    public SecureDeserializer(Deserializer<T> inner) {
        this.inner = inner;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        TlsPolicy.requireSecureClient(configs);
        SecureConsumerConfig config = new SecureConsumerConfig(configs);
        if (inner == null) {
            String setting = isKey ? SecureConsumerConfig.KEY_DESERIALIZER_INNER_CONFIG : SecureConsumerConfig.VALUE_DESERIALIZER_INNER_CONFIG;
            Class<?> innerClass = config.getClass(setting);
            if (innerClass == null) {
                throw new ConfigException(setting, null, "SecureDeserializer needs the deserializer for the decrypted bytes;"
                        + " set " + setting + " (e.g. org.apache.kafka.common.serialization.StringDeserializer)");
            }
            inner = (Deserializer<T>) Utils.newInstance(innerClass);
        }
        inner.configure(configs, isKey);
        Object clientId = configs.get(CommonClientConfigs.CLIENT_ID_CONFIG);
        metrics = new CryptoMetrics(isKey ? "key-deserializer" : "deserializer", clientId == null ? "" : clientId.toString(),
                new ClientCertificate(configs, Clock.systemUTC()));
        crypto = EnvelopeCrypto.create(configs, metrics);
        decryptor = crypto.decryptor();
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return deserialize(topic, null, data);
    }

    @Override
    public T deserialize(String topic, Headers headers, byte[] data) {
        byte[] plaintext;
        if (isKey) {
            RecordKeyHandoff.offer(headers, data);
            plaintext = decryptor.decryptRecordKey(topic, headers, data);
        } else if (data == null) {
            Optional<RecordKeyHandoff.Offered> key = RecordKeyHandoff.take(headers);
            plaintext = key.isPresent()
                    ? decryptor.decrypt(topic, headers, key.get().key(), null)
                    : decryptor.decrypt(topic, headers, null);
        } else {
            plaintext = decryptor.decrypt(topic, headers, data);
        }
        return inner.deserialize(topic, headers, plaintext);
    }

    @Override
    public void close() {
        if (inner != null) {
            inner.close();
        }
        if (crypto != null) {
            crypto.close();
            metrics.close();
        }
    }
}
