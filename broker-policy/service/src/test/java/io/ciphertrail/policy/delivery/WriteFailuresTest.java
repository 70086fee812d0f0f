package io.ciphertrail.policy.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Retries after a failed write: a growing back-off, never a crash loop, and a status that says so. */
class WriteFailuresTest {

    @Test
    void backOffDoublesUpToItsLimitAndStartsAgainAfterAQuietPeriod() {
        AtomicLong now = new AtomicLong(1_000_000);
        WriteFailures failures = new WriteFailures(500, 4_000, now::get);
        assertThat(failures.report().status()).isEqualTo(WriteFailures.Status.UP);
        assertThat(failures.failed(new IllegalStateException("quarantine topic gone"))).isEqualTo(500);
        assertThat(failures.failed(new RuntimeException(new IllegalStateException("again")))).isEqualTo(1_000);
        assertThat(failures.failed(new RuntimeException("x"))).isEqualTo(2_000);
        assertThat(failures.failed(new RuntimeException("x"))).isEqualTo(4_000);
        assertThat(failures.failed(new RuntimeException("x"))).isEqualTo(4_000);
        WriteFailures.Report retrying = failures.report();
        assertThat(retrying.status()).isEqualTo(WriteFailures.Status.RETRYING);
        assertThat(retrying.failures()).isEqualTo(5);
        assertThat(retrying.lastError()).isEqualTo("RuntimeException: x");
        now.addAndGet(WriteFailures.MIN_QUIET_MS);
        assertThat(failures.report().status()).isEqualTo(WriteFailures.Status.UP);
        assertThat(failures.failed(new RuntimeException("later"))).isEqualTo(500);
    }

    @Test
    void aMissingOutputPausesProcessingAndIsReportedUntilItIsBack() {
        AtomicLong now = new AtomicLong(1_000_000);
        WriteFailures failures = new WriteFailures(500, 4_000, now::get);
        java.util.concurrent.atomic.AtomicReference<java.util.Optional<String>> problem =
                new java.util.concurrent.atomic.AtomicReference<>(java.util.Optional.of("Cannot write to the quarantine topic 'q'"));
        java.util.List<String> calls = new java.util.ArrayList<>();
        OutputWatch watch = new OutputWatch(problem::get, failures, () -> calls.add("pause"), () -> calls.add("resume"));
        watch.run();
        watch.run();
        now.addAndGet(60_000);
        assertThat(failures.report().status()).isEqualTo(WriteFailures.Status.RETRYING);
        assertThat(failures.report().lastError()).isEqualTo("Cannot write to the quarantine topic 'q'");
        assertThat(failures.report().failures()).isEqualTo(1);
        problem.set(java.util.Optional.empty());
        watch.run();
        watch.run();
        assertThat(calls).containsExactly("pause", "resume");
        assertThat(failures.report().status()).isEqualTo(WriteFailures.Status.UP);
    }

    @Test
    void describesTheInnermostCauseThatSaysSomething() {
        assertThat(WriteFailures.describe(new RuntimeException(new org.apache.kafka.common.errors.RecordTooLargeException("too big"))))
                .isEqualTo("RecordTooLargeException: too big");
    }

}
