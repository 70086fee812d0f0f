package io.ciphertrail.producer;

import io.ciphertrail.core.envelope.DeleteProof;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.envelope.EnvelopeCrypto;
import io.ciphertrail.core.envelope.EnvelopeEncryptor;
import io.ciphertrail.core.envelope.EnvelopeException;
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
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Wraps any {@link Serializer}: the inner serializer makes the bytes, this one encrypts them. As a
 * value serializer it also gives the record a trace ({@code traceparent}) and binds it into the
 * envelope, which carries it from there: the header is dropped from encrypted records unless
 * {@code ciphertrail.producer.traceparent.header=true} (Ciphertrail's readers give it back). As a key serializer it
 * encrypts keys deterministically when
 * {@code ciphertrail.envelope.record.key.encryption=true}, else leaves them as they are.
 *
 * <p>Use it by class name anywhere serializers are configured (Kafka Streams, Spring Kafka):
 * {@code value.serializer=io.ciphertrail.producer.SecureSerializer} with
 * {@code ciphertrail.value.serializer.inner=<your serializer>}. It refuses insecure client settings at start.
 *
 * <p>A null value (a delete) stays null and gets a {@link DeleteProof} header binding its topic and key, which the
 * value serializer learns from the key serializer of the same record; so use this class for keys too (keys stay
 * as they are unless key encryption is on). Without it, a delete is refused, except on topics listed in
 * {@code ciphertrail.envelope.plain.deletes.topics}.
 */
public class SecureSerializer<T> implements Serializer<T> {
    private Serializer<T> inner;
    private EnvelopeCrypto crypto;
    /** Read once: {@link EnvelopeCrypto#encryptor()} synchronizes, and this is used for every record. */
    private EnvelopeEncryptor encryptor;
    private CryptoMetrics metrics;
    private boolean ownsCrypto;
    private TopicSelection topics;
    private boolean isKey;
    /** Whether encrypted records keep {@code traceparent} on the wire. */
    private boolean writesTraceHeader;

    /** For configuration by class name; the inner serializer comes from {@code ciphertrail.(key|value).serializer.inner}. */
    public SecureSerializer() {
    }

    /** Wraps {@code inner}; call {@link #configure} (Kafka does when it creates serializers from configuration). */
    public SecureSerializer(Serializer<T> inner) {
        this.inner = inner;
    }

    /** Used by {@link SecureProducer}, which owns the crypto and has checked the settings. */
    SecureSerializer(Serializer<T> inner, EnvelopeCrypto crypto, SecureProducerConfig config, boolean isKey) {
        this.inner = inner;
        this.crypto = crypto;
        this.encryptor = crypto.encryptor();
        this.topics = new TopicSelection(config);
        this.isKey = isKey;
        this.writesTraceHeader = config.writesTraceHeader();
    }

    @Override
    @SuppressWarnings("unchecked")
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        TlsPolicy.requireSecureClient(configs);
        SecureProducerConfig config = new SecureProducerConfig(configs);
        if (inner == null) {
            String setting = isKey ? SecureProducerConfig.KEY_SERIALIZER_INNER_CONFIG : SecureProducerConfig.VALUE_SERIALIZER_INNER_CONFIG;
            Class<?> innerClass = config.getClass(setting);
            if (innerClass == null) {
                throw new ConfigException(setting, null, "SecureSerializer needs the serializer that makes the bytes it encrypts;"
                        + " set " + setting + " (e.g. org.apache.kafka.common.serialization.StringSerializer)");
            }
            inner = (Serializer<T>) Utils.newInstance(innerClass);
        }
        inner.configure(configs, isKey);
        Object clientId = configs.get(CommonClientConfigs.CLIENT_ID_CONFIG);
        metrics = new CryptoMetrics(isKey ? "key-serializer" : "serializer", clientId == null ? "" : clientId.toString(),
                new ClientCertificate(configs, Clock.systemUTC()));
        crypto = EnvelopeCrypto.create(configs, metrics);
        encryptor = crypto.encryptor();
        ownsCrypto = true;
        topics = new TopicSelection(config);
        writesTraceHeader = config.writesTraceHeader();
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return serialize(topic, null, data);
    }

    @Override
    public byte[] serialize(String topic, Headers headers, T data) {
        if (!isKey && headers != null) {
            TraceStamper.ensure(headers);
        }
        byte[] bytes = inner.serialize(topic, headers, data);
        if (!topics.encrypts(topic)) {
            return bytes;
        }
        String boundTopic = topics.boundTopic(topic);
        if (isKey) {
            byte[] key = encryptor.encryptRecordKey(boundTopic, bytes);
            RecordKeyHandoff.offer(headers, key);
            return key;
        }
        if (bytes == null) {
            authenticateDelete(topic, boundTopic, headers);
            return null;
        }
        byte[] envelope = encryptor.encrypt(boundTopic, headers, bytes);
        if (!writesTraceHeader && headers != null) {
            TraceStamper.moveIntoEnvelope(headers);
        }
        return envelope;
    }

    private void authenticateDelete(String topic, String boundTopic, Headers headers) {
        Optional<RecordKeyHandoff.Offered> key = RecordKeyHandoff.take(headers);
        if (key.isPresent()) {
            encryptor.encryptDelete(boundTopic, headers, key.get().key());
            if (!writesTraceHeader) {
                TraceStamper.moveIntoEnvelope(headers);
            }
        } else if (crypto.config().acceptsPlainDeletes(boundTopic)) {
            encryptor.encrypt(boundTopic, headers, null);
        } else {
            throw new EnvelopeException(EnvelopeException.Reason.UNAUTHENTICATED_DELETE, boundTopic, "a delete sent to '" + topic
                    + "' cannot be authenticated: its proof binds the record key, and the key serializer is not Ciphertrail's."
                    + " Use SecureSerializer for keys too (keys stay as they are unless "
                    + EnvelopeConfig.RECORD_KEY_ENCRYPTION_CONFIG + " is on), or, while migrating, list the topic in "
                    + EnvelopeConfig.PLAIN_DELETES_TOPICS_CONFIG);
        }
    }

    @Override
    public void close() {
        if (inner != null) {
            inner.close();
        }
        if (ownsCrypto) {
            crypto.close();
            metrics.close();
        }
    }
}
