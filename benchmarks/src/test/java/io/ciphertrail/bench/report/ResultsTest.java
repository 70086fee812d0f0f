package io.ciphertrail.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResultsTest {
    private static List<String> row(String... fields) {
        return List.of(fields);
    }

    @Test
    void mediansOverRoundsWithRatiosToTls() {
        Results results = new Results();
        results.addRounds(List.of(
                row("round", "scenario", "metric", "unit", "value"),
                row("1", "tls", "producer_throughput", "records/s", "100"),
                row("2", "tls", "producer_throughput", "records/s", "120"),
                row("3", "tls", "producer_throughput", "records/s", "110"),
                row("1", "tls+envelope", "producer_throughput", "records/s", "90"),
                row("2", "tls+envelope", "producer_throughput", "records/s", "99"),
                row("3", "tls+envelope", "producer_throughput", "records/s", "100"),
                row("1", "tls+envelope+gate", "gate_throughput", "records/s", "50"),
                row("1", "tls+envelope", "publish_latency_p99", "ms", "")));
        Results.Row envelope = results.get("tls+envelope", "producer_throughput").orElseThrow();
        assertThat(envelope.value()).isEqualTo(99);
        assertThat(envelope.min()).isEqualTo(90);
        assertThat(envelope.max()).isEqualTo(100);
        assertThat(envelope.runs()).isEqualTo(3);
        assertThat(envelope.baseline()).isEqualTo("tls");
        assertThat(envelope.ratio()).isEqualTo(0.9);
        assertThat(results.get("tls", "producer_throughput").orElseThrow().ratio()).isEqualTo(1.0);
        // no tls figure to compare with: no ratio
        assertThat(results.get("tls+envelope+gate", "gate_throughput").orElseThrow().ratio()).isNaN();
        // an empty value is no measurement
        assertThat(results.get("tls+envelope", "publish_latency_p99")).isEmpty();
        assertThat(results.scenarios()).containsExactly("tls", "tls+envelope", "tls+envelope+gate");
    }

    @Test
    void envelopeMicroBenchmarksAreComparedWithRawAesGcmOfTheSameSize() {
        Results results = new Results();
        results.addMicro(List.of(
                row("Benchmark", "Mode", "Threads", "Samples", "Score", "Score Error (99.9%)", "Unit", "Param: size"),
                row("io.ciphertrail.bench.micro.EnvelopeBenchmark.envelopeEncrypt", "avgt", "1", "3", "900", "30", "ns/op", "1024"),
                row("io.ciphertrail.bench.micro.EnvelopeBenchmark.rawAesGcmEncrypt", "avgt", "1", "3", "600", "10", "ns/op", "1024"),
                row("io.ciphertrail.bench.micro.EnvelopeBenchmark.envelopeEncrypt", "avgt", "1", "3", "400", "NaN", "ns/op", "100"),
                row("io.ciphertrail.bench.micro.EnvelopeBenchmark.rawAesGcmEncrypt", "avgt", "1", "3", "200", "5", "ns/op", "100"),
                row("io.ciphertrail.bench.micro.DekCacheBenchmark.dekCacheHit", "avgt", "1", "3", "50", "2", "ns/op", "")));
        Results.Row encrypt = results.get("micro", "envelope_encrypt_1024B").orElseThrow();
        assertThat(encrypt.ratio()).isEqualTo(1.5);
        assertThat(encrypt.baseline()).isEqualTo(Results.RAW_BASELINE);
        assertThat(encrypt.min()).isEqualTo(870);
        assertThat(results.get("micro", "envelope_encrypt_100B").orElseThrow().ratio()).isEqualTo(2.0);
        assertThat(results.get("micro", "dek_cache_hit").orElseThrow().ratio()).isNaN();
        assertThat(results.get("micro", "raw_aes_gcm_encrypt_1024B")).isPresent();
    }

    @Test
    void targetsAreJudgedFromTheMedians() {
        Results results = new Results();
        results.addRounds(List.of(
                row("round", "scenario", "metric", "unit", "value"),
                row("1", "tls", "producer_throughput", "records/s", "100"),
                row("1", "tls+envelope", "producer_throughput", "records/s", "89"),
                row("1", "tls", "consumer_throughput", "records/s", "100"),
                row("1", "tls+envelope", "consumer_throughput", "records/s", "92"),
                row("1", "tls", "publish_latency_p99", "ms", "2.0"),
                row("1", "tls+envelope", "publish_latency_p99", "ms", "2.9"),
                row("1", "tls+kroxylicious", "producer_throughput", "records/s", "50"),
                row("1", "tls+kroxylicious", "consumer_throughput", "records/s", "95"),
                row("1", "tls+kroxylicious", "publish_latency_p99", "ms", "5")));
        List<Report.Target> targets = new Report(results, new java.util.Properties()).targets();
        // producer, consumer, p99 median, p99 every round, stored bytes, encrypt, decrypt, record key, the peer
        assertThat(targets).extracting(Report.Target::met).containsExactly(false, true, true, true, null, null, null, null, false);
        assertThat(targets.get(3).measured()).isEqualTo("rounds: +0.90 ms");
        assertThat(targets.get(8).measured()).contains("consumer_throughput");
    }
}
