package io.ciphertrail.consumer;

import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;

/** Turns a raw record into a typed one: decrypt and verify, then the inner deserializers. */
final class RecordDecoder<K, V> {
    private final EnvelopeDecryptor decryptor;
    private final Deserializer<K> keyDeserializer;
    private final Deserializer<V> valueDeserializer;

    RecordDecoder(EnvelopeDecryptor decryptor, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        this.decryptor = decryptor;
        this.keyDeserializer = keyDeserializer;
        this.valueDeserializer = valueDeserializer;
    }

    /** A record's bytes after decryption and verification, before the application's deserializers. */
    record Plain(byte[] key, byte[] value, Headers headers) {
    }

    ConsumerRecord<K, V> decode(ConsumerRecord<byte[], byte[]> raw) {
        return deserialize(raw, decrypt(raw));
    }

    /**
     * Decrypts and verifies value, headers and key, and gives the record its {@code traceparent} back from the envelope
     * when the header did not travel. Works on a copy of the headers: the raw record stays as it was read, for a
     * dead-letter topic. Thread-safe: it touches nothing but the record and the decryptor.
     */
    Plain decrypt(ConsumerRecord<byte[], byte[]> raw) {
        String topic = raw.topic();
        // one copy of the header list (the array form would copy it twice)
        Headers headers = new RecordHeaders(raw.headers());
        byte[] value = decryptor.decrypt(topic, headers, raw.key(), raw.value());
        byte[] key = decryptor.decryptRecordKey(topic, headers, raw.key());
        return new Plain(key, value, headers);
    }

    /** Runs the application's deserializers: on the polling thread only, as Kafka does, since they need not be thread-safe. */
    ConsumerRecord<K, V> deserialize(ConsumerRecord<byte[], byte[]> raw, Plain plain) {
        String topic = raw.topic();
        return new ConsumerRecord<>(topic, raw.partition(), raw.offset(), raw.timestamp(), raw.timestampType(),
                raw.serializedKeySize(), raw.serializedValueSize(),
                keyDeserializer.deserialize(topic, plain.headers(), plain.key()),
                valueDeserializer.deserialize(topic, plain.headers(), plain.value()),
                plain.headers(), raw.leaderEpoch(), raw.deliveryCount());
    }
}
