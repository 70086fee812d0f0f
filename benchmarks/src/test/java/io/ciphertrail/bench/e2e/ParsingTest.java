package io.ciphertrail.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParsingTest {
    @Test
    void cpuTicksFromProcStatEvenWithSpacesInTheCommandName() {
        String stat = "4242 (java (main) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1500 250 0 0 20 0 40 0 123 0 0";
        assertThat(Cpu.parseStat(stat)).isEqualTo(1750);
    }

    @Test
    void busyTicksOfTheMachineLeaveOutIdleAndIowait() {
        assertThat(MachineCpu.busyTicks("cpu  100 5 50 1000 200 3 2 1 0 0")).isEqualTo(100 + 5 + 50 + 3 + 2 + 1);
    }

    @Test
    void prometheusCountersAreSummedOverLabels() {
        String text = """
                # HELP ciphertrail_gate_records_forwarded_total Records forwarded
                # TYPE ciphertrail_gate_records_forwarded_total counter
                ciphertrail_gate_records_forwarded_total{policy="a"} 1200.0
                ciphertrail_gate_records_forwarded_total{policy="b"} 34.0
                ciphertrail_gate_records_forwarded_totalish 99.0
                ciphertrail_gate_records_checked_total 5000.0
                """;
        assertThat(PrometheusText.sum(text, "ciphertrail_gate_records_forwarded_total")).isEqualTo(1234);
        assertThat(PrometheusText.sum(text, "absent_total")).isZero();
    }

    @Test
    void roundsStartWithAnotherScenarioEachTime() {
        List<String> order = List.of("a", "b", "c");
        assertThat(Scenario.rotate(order, 0)).containsExactly("a", "b", "c");
        assertThat(Scenario.rotate(order, 1)).containsExactly("b", "c", "a");
        assertThat(Scenario.rotate(order, 4)).containsExactly("b", "c", "a");
        assertThat(Scenario.rotate(List.<String>of(), 2)).isEmpty();
    }

    @Test
    void gatedScenariosGoThroughTheirServiceInstance() {
        assertThat(Scenario.GATE_LOW_RATE.service()).isEqualTo(Scenario.GATE);
        assertThat(Scenario.GATE_FAST.service()).isEqualTo(Scenario.GATE_FAST);
        assertThat(Clients.sendTopic(Scenario.GATE, "gate-r1-tput")).isEqualTo("gate-r1-tput.ingress");
        assertThat(Clients.sendTopic(Scenario.ENVELOPE, "env-r1-tput")).isEqualTo("env-r1-tput");
        // the default gate's ingress pattern must cover its low-rate variant and not the second instance
        assertThat("gate-low-r1-lat.ingress").matches(Scenario.GATE.slug + "-.+\\.ingress");
        assertThat("gatefast-r1-lat.ingress").doesNotMatch(Scenario.GATE.slug + "-.+\\.ingress");
        assertThat(Scenario.of("tls+envelope")).isEqualTo(Scenario.ENVELOPE);
    }
}
