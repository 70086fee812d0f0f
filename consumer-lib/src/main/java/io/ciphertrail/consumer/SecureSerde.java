package io.ciphertrail.consumer;

import io.ciphertrail.producer.SecureSerializer;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The secure serializer and deserializer as one {@link Serde}, for Kafka Streams: input is decrypted
 * and verified, output encrypted for its topic with the record's trace bound.
 *
 * <pre>{@code
 * SecureSerde<String> values = new SecureSerde<>(Serdes.String());
 * values.configure(streamsProperties, false);      // Streams does not configure serdes passed to it
 * builder.stream("orders", Consumed.with(Serdes.String(), values))
 *        .mapValues(...)
 *        .to("invoices", Produced.with(Serdes.String(), values));
 * }</pre>
 *
 * Or by class name, {@code default.value.serde=io.ciphertrail.consumer.SecureSerde} with
 * {@code ciphertrail.value.serializer.inner} and {@code ciphertrail.value.deserializer.inner}.
 */
public class SecureSerde<T> implements Serde<T> {
    private final SecureSerializer<T> serializer;
    private final SecureDeserializer<T> deserializer;

    /** For configuration by class name; the inner serializer and deserializer come from the settings. */
    public SecureSerde() {
        this.serializer = new SecureSerializer<>();
        this.deserializer = new SecureDeserializer<>();
    }

    public SecureSerde(Serde<T> inner) {
        this.serializer = new SecureSerializer<>(inner.serializer());
        this.deserializer = new SecureDeserializer<>(inner.deserializer());
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }

    @Override
    public void close() {
        serializer.close();
        deserializer.close();
    }
}
