package io.ciphertrail.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {
    @TempDir
    Path dir;

    @Test
    void quotesWhatNeedsQuotingAndReadsItBack() {
        List<Object> fields = List.of("tls+envelope+gate[rate=gate/2,commit=10ms]", "say \"hi\"", "plain", 1234.5, Double.NaN);
        String line = Csv.line(fields);
        assertThat(line).isEqualTo("\"tls+envelope+gate[rate=gate/2,commit=10ms]\",\"say \"\"hi\"\"\",plain,1234.5,");
        assertThat(Csv.parse(line)).containsExactly("tls+envelope+gate[rate=gate/2,commit=10ms]", "say \"hi\"", "plain", "1234.5", "");

        Path file = dir.resolve("x.csv");
        Csv.append(file, List.of("a", "b"));
        Csv.append(file, fields);
        assertThat(Csv.read(file)).hasSize(2);
        assertThat(Csv.read(file).get(1).get(0)).isEqualTo("tls+envelope+gate[rate=gate/2,commit=10ms]");
    }

    @Test
    void numbersArePlainAndRounded() {
        assertThat(Csv.number(12345.678)).isEqualTo("12345.7");
        assertThat(Csv.number(1.23456)).isEqualTo("1.235");
        assertThat(Csv.number(0.000123456)).isEqualTo("0.00012");
        assertThat(Csv.number(1e7)).isEqualTo("10000000");
        assertThat(Csv.number(Double.POSITIVE_INFINITY)).isEmpty();
    }
}
