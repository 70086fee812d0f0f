package io.ciphertrail.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricConfig;
import org.junit.jupiter.api.Test;

class RecordCounterTest {
    private static final MetricConfig CONFIG = new MetricConfig().samples(2).timeWindow(30, TimeUnit.SECONDS);

    @Test
    void countsEveryRecordOfConcurrentThreadsExactly() throws Exception {
        RecordCounter counter = new RecordCounter(0);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            threads.submit(() -> {
                for (int i = 0; i < 100_000; i++) {
                    counter.increment();
                }
            });
        }
        threads.shutdown();
        assertThat(threads.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        assertThat(counter.total().measure(CONFIG, 1)).isEqualTo(400_000.0);
    }

    @Test
    void rateCoversTheLastWindowOnceItHasReadingsThatOld() {
        RecordCounter counter = new RecordCounter(0);
        add(counter, 600);
        assertThat(counter.rate().measure(CONFIG, 60_000)).isEqualTo(10.0); // 600 in the first minute
        add(counter, 6_000);
        assertThat(counter.rate().measure(CONFIG, 90_000)).isEqualTo(6_600 / 90.0); // no reading 60 s old yet but the start
        add(counter, 3_000);
        // 60 s after the reading at 60 s: 9,000 since then, the first minute's 600 dropped
        assertThat(counter.rate().measure(CONFIG, 120_000)).isEqualTo(150.0);
        assertThat(counter.rate().measure(CONFIG, 120_000)).isEqualTo(150.0); // reading does not change it
        assertThat(counter.rate().measure(CONFIG, 500_000)).isEqualTo(0.0); // nothing in the last window
    }

    @Test
    void cryptoMetricsPublishesTheCountsAsKafkaMetricsUnderTheirNames() {
        try (CryptoMetrics metrics = new CryptoMetrics("consumer", "counter-test", null)) {
            for (int i = 0; i < 3; i++) {
                metrics.recordDecrypted("orders", 100);
            }
            metrics.recordEncrypted("orders", 10, 90);
            assertThat(value(metrics, "records-decrypted-total")).isEqualTo(3.0);
            assertThat(value(metrics, "records-encrypted-total")).isEqualTo(1.0);
            assertThat(value(metrics, "records-decrypted-rate")).isGreaterThanOrEqualTo(0.0);
            assertThat(value(metrics, "data-key-rotations-total")).isEqualTo(0.0);
        }
    }

    private static void add(RecordCounter counter, int n) {
        for (int i = 0; i < n; i++) {
            counter.increment();
        }
    }

    private static double value(CryptoMetrics metrics, String name) {
        return metrics.metrics().entrySet().stream().filter(e -> e.getKey().name().equals(name)).map(java.util.Map.Entry::getValue)
                .map(KafkaMetric::metricValue).map(Double.class::cast).findFirst().orElseThrow();
    }
}
