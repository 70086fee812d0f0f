package io.ciphertrail.policy.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.schemas.policy.Policy;
import io.ciphertrail.schemas.policy.RuleMode;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyFileTest {

    private static final String FILE = """
            policies:
              - name: orders
                from: orders.ingress
                to: orders
                maxRecordBytes: 2048
                rules:
                  trace: PERMISSIVE
                  size: off
              - name: by-convention
                fromPattern: "(.+)\\\\.ingress"
                to: "$1"
            """;

    @Test
    void parsesRoutesRulesAndDefaults() {
        List<Policy> policies = PolicyFile.parse(FILE, "policies.yaml");
        assertThat(policies).extracting(Policy::getName).containsExactly("orders", "by-convention");
        Policy orders = policies.get(0);
        assertThat(orders.getIngress()).isEqualTo("orders.ingress");
        assertThat(orders.getIngressIsPattern()).isFalse();
        assertThat(orders.getMaxRecordBytes()).isEqualTo(2048);
        assertThat(orders.getRules()).containsEntry("trace", RuleMode.PERMISSIVE).containsEntry("size", RuleMode.OFF);
        assertThat(policies.get(1).getMaxRecordBytes()).isEqualTo(1_048_576);
    }

    @Test
    void exactRouteWinsOverPatternAndUnlistedRulesAreEnforced() {
        PolicyBook book = new PolicyBook(PolicyFile.parse(FILE, "policies.yaml"));

        Route orders = book.routeFor("orders.ingress").orElseThrow();
        assertThat(orders.policyName()).isEqualTo("orders");
        assertThat(orders.egressTopic()).isEqualTo("orders");
        assertThat(orders.mode(Rule.TRACE)).isEqualTo(RuleMode.PERMISSIVE);
        assertThat(orders.mode(Rule.ENVELOPE)).isEqualTo(RuleMode.ENFORCE);

        Route payments = book.routeFor("payments.ingress").orElseThrow();
        assertThat(payments.policyName()).isEqualTo("by-convention");
        assertThat(payments.egressTopic()).isEqualTo("payments");

        assertThat(book.routeFor("unrelated")).isEmpty();
    }

    @Test
    void writtenYamlReadsBackTheSame() {
        List<Policy> policies = PolicyFile.parse(FILE, "policies.yaml");
        List<Policy> again = PolicyFile.parse(PolicyFile.toYaml(policies), "shown");
        assertThat(again).extracting(Policy::getName, Policy::getIngress, Policy::getEgress, Policy::getMaxRecordBytes)
                .containsExactlyElementsOf(policies.stream()
                        .map(p -> org.assertj.core.groups.Tuple.tuple(p.getName(), p.getIngress(), p.getEgress(), p.getMaxRecordBytes()))
                        .toList());
        assertThat(again.get(0).getRules()).containsEntry("envelope", RuleMode.ENFORCE).containsEntry("trace", RuleMode.PERMISSIVE);
    }

    @Test
    void mistakesNameTheFilePolicyAndField() {
        assertThatThrownBy(() -> PolicyFile.parse("policies:\n  - name: a\n    from: x\n    to: y\n    rules: {trace: ENFORCED}\n", "p.yaml"))
                .isInstanceOf(PolicyFileException.class)
                .hasMessage("p.yaml: policies[0] ('a'): rules.trace: 'ENFORCED' is not a mode; use ENFORCE, PERMISSIVE or OFF");
        assertThatThrownBy(() -> PolicyFile.parse("policies:\n  - name: a\n    from: x\n    to: y\n    rules: {tls: ENFORCE}\n", "p.yaml"))
                .hasMessageContaining("Unknown rule 'tls'; rules are: envelope, binding, trace, size");
        assertThatThrownBy(() -> PolicyFile.parse("policies:\n  - name: a\n    from: x\n    fromPattern: y\n    to: z\n", "p.yaml"))
                .hasMessageContaining("exactly one of 'from'");
        assertThatThrownBy(() -> PolicyFile.parse("policies:\n  - name: a\n    from: x\n    to: x\n", "p.yaml"))
                .hasMessageContaining("must lead to another topic");
        assertThatThrownBy(() -> PolicyFile.parse("policies:\n  - name: a\n    fromPattern: '(x'\n    to: y\n", "p.yaml"))
                .hasMessageContaining("not a valid regular expression");
        assertThatThrownBy(() -> PolicyFile.parse("policies:\n  - name: a\n    fromPattern: 'x'\n    to: '$1'\n", "p.yaml"))
                .hasMessageContaining("uses $1 but fromPattern has only 0 group(s)");
        assertThatThrownBy(() -> PolicyFile.parse("policies:\n  - {name: a, from: x, to: y}\n  - {name: a, from: z, to: y}\n", "p.yaml"))
                .hasMessageContaining("'a' is used twice");
        assertThatThrownBy(() -> PolicyFile.parse("routes: []\n", "p.yaml")).hasMessageContaining("no 'policies:' list");
        assertThatThrownBy(() -> PolicyFile.parse("policies: [\n", "p.yaml")).hasMessageContaining("p.yaml is not valid YAML");
        assertThatThrownBy(() -> PolicyFile.parse("policies:\n  - {name: a, from: x, to: y, mode: strict}\n", "p.yaml"))
                .hasMessageContaining("unknown field 'mode'");
    }
}
