package io.ciphertrail.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.policy.delivery.WriteFailures;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Kafka Streams settings the service runs its transactions with. */
class StreamsSettingsTest {

    /**
     * With Kafka's default back-off (100 ms doubling to 1 s), each CONCURRENT_TRANSACTIONS retry at the start of a
     * transaction held a batch 100 ms to 1 s: the gate's producer retries after 5 ms, at most 50 ms apart.
     */
    @Test
    void theGatesProducerRetriesATransactionsFirstWriteWithinMilliseconds() {
        StreamsConfig streams = new StreamsConfig(settings(Map.of()));
        Map<String, Object> producer = streams.getProducerConfigs("gate-producer");
        assertThat(producer.get(ProducerConfig.RETRY_BACKOFF_MS_CONFIG)).hasToString("5");
        assertThat(producer.get(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG)).hasToString("50");
        assertThat(streams.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).as("the exactly-once default").isEqualTo(100L);
    }

    /**
     * Each commit flushes the producer and the stream thread waits for every batch: in Kafka's 16 KiB batches a 100 ms
     * transaction at full speed took some 14 produce round trips one after the other.
     */
    @Test
    void theGatesProducerFlushesATransactionInBatchesOf256KiB() {
        Map<String, Object> producer = new StreamsConfig(settings(Map.of())).getProducerConfigs("gate-producer");
        assertThat(producer.get(ProducerConfig.BATCH_SIZE_CONFIG)).hasToString("262144");
    }

    /**
     * With Kafka Streams' 100 ms linger a batch that did not fill waited for the commit's flush, which then carried the
     * interval's trail records in one round trip while the thread processed nothing: the gate's producer lingers 20 ms.
     */
    @Test
    void theGatesProducerSendsDuringTheCommitIntervalNotAtItsEnd() {
        StreamsConfig streams = new StreamsConfig(settings(Map.of()));
        assertThat(streams.getProducerConfigs("gate-producer").get(ProducerConfig.LINGER_MS_CONFIG)).hasToString("20");
        assertThat(streams.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).as("the exactly-once default").isEqualTo(100L);
    }

    /**
     * The operator's setting wins over each of the service's producer defaults, given for the producer alone or, without
     * the {@code producer.} prefix, for every client.
     */
    @ParameterizedTest
    @CsvSource({
        "producer.retry.backoff.max.ms, 200, retry.backoff.max.ms",
        "producer.batch.size, 65536, batch.size",
        "retry.backoff.ms, 20, retry.backoff.ms",
        "batch.size, 32768, batch.size",
        "producer.linger.ms, 100, linger.ms",
        "linger.ms, 0, linger.ms"})
    void anOperatorsSettingWins(String setting, String value, String producerKey) {
        Map<String, Object> producer = new StreamsConfig(settings(Map.of(setting, value))).getProducerConfigs("gate-producer");
        assertThat(producer.get(producerKey)).hasToString(value);
    }

    private static Properties settings(Map<String, Object> overrides) {
        Map<String, Object> kafka = new java.util.HashMap<>(Map.of("bootstrap.servers", "localhost:9093"));
        kafka.putAll(overrides);
        return PolicyService.streamsProperties(kafka, new PolicyServiceConfig(kafka), new WriteFailures(1_000, 60_000));
    }
}
