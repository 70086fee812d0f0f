package io.ciphertrail.policy.delivery;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The largest record the service's producer sends: {@code max.request.size} and {@code buffer.memory} as
 * Kafka Streams gives them to its producer ({@code producer.}-prefixed settings first).
 */
public record ProducerLimits(int maxRequestSize, long bufferMemory) {
    public static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;
    private static final long DEFAULT_BUFFER_MEMORY = 33_554_432L;

    public static ProducerLimits of(Map<?, ?> streamsSettings) {
        return new ProducerLimits(
                (int) setting(streamsSettings, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, DEFAULT_MAX_REQUEST_SIZE),
                setting(streamsSettings, ProducerConfig.BUFFER_MEMORY_CONFIG, DEFAULT_BUFFER_MEMORY));
    }

    /** The largest record the service can write to {@code topic}. */
    public int limitFor(TopicInfo topic) {
        return (int) Math.min(Math.min(maxRequestSize, bufferMemory), topic.maxMessageBytes());
    }

    /** The value Kafka Streams gives its producer for {@code key}. */
    static Object producerSetting(Map<?, ?> settings, String key) {
        Object prefixed = settings.get(StreamsConfig.producerPrefix(key));
        return prefixed != null ? prefixed : settings.get(key);
    }

    private static long setting(Map<?, ?> settings, String key, long defaultValue) {
        Object value = producerSetting(settings, key);
        return value == null ? defaultValue : Long.parseLong(value.toString().trim());
    }
}
