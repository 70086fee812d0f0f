package io.ciphertrail.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void nearestRankPercentiles() {
        long[] hundred = LongStream.rangeClosed(1, 100).toArray();
        assertThat(Stats.percentile(hundred, 50)).isEqualTo(50);
        assertThat(Stats.percentile(hundred, 99)).isEqualTo(99);
        assertThat(Stats.percentile(hundred, 99.9)).isEqualTo(100);
        assertThat(Stats.percentile(hundred, 100)).isEqualTo(100);
        assertThat(Stats.percentile(hundred, 0.5)).isEqualTo(1);

        long[] thousand = LongStream.rangeClosed(1, 1000).toArray();
        assertThat(Stats.percentile(thousand, 99.9)).isEqualTo(999);
        assertThat(Stats.percentile(new long[] {7}, 50)).isEqualTo(7);
    }

    @Test
    void percentileRejectsNonsense() {
        assertThatThrownBy(() -> Stats.percentile(new long[0], 50)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Stats.percentile(new long[] {1}, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Stats.percentile(new long[] {1}, 101)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sortedFromSkipsTheWarmUpAndMissingSamples() {
        assertThat(Stats.sortedFrom(new long[] {9, 9, 5, -1, 3, 4}, 2)).containsExactly(3, 4, 5);
        assertThat(Stats.sortedFrom(new long[] {1, 2}, 5)).isEmpty();
    }

    @Test
    void medianMinMaxRatioAndSpread() {
        assertThat(Stats.median(List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
        assertThat(Stats.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThat(Stats.min(List.of(4.0, 1.0))).isEqualTo(1.0);
        assertThat(Stats.max(List.of(4.0, 1.0))).isEqualTo(4.0);
        assertThat(Stats.ratio(90, 100)).isEqualTo(0.9);
        assertThat(Stats.ratio(1, 0)).isNaN();
        assertThat(Stats.ratio(1, Double.NaN)).isNaN();
        assertThat(Stats.spreadPercent(100, 90, 110)).isEqualTo(10.0);
    }
}
