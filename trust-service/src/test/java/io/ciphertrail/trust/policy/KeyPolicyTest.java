package io.ciphertrail.trust.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeyPolicyTest {
    private static final String POLICY = """
            rules:
              - name: orders-writer
                principals: [User:orders-service]
                keys: [ciphertrail/topic/orders, "ciphertrail/topic/orders/*"]
                operations: [ENCRYPT, DERIVE]
              - name: readers
                principals: ["User:reader-*"]
                keys: ["ciphertrail/topic/*"]
                operations: [DECRYPT]
              - name: no-payments-for-readers
                effect: DENY
                principals: ["User:reader-*"]
                keys: ["ciphertrail/topic/payments*"]
                operations: [DECRYPT]
              - name: contractors-soon-out
                effect: DENY
                mode: DRY_RUN
                principals: ["User:reader-contractor"]
                keys: ["*"]
                operations: [DECRYPT]
            """;

    private static KeyPolicy policy() {
        return KeyPolicyFile.parse(POLICY, "key-policy.yaml");
    }

    @Test
    void defaultDenyNamesPrincipalAliasAndWhatToAskFor() {
        Decision decision = policy().decide("User:orders-service", KeyPermission.DECRYPT, "ciphertrail/topic/orders");
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.rule()).isEmpty();
        assertThat(decision.reason()).contains("User:orders-service").contains("ciphertrail/topic/orders")
                .contains("ask for DECRYPT on ciphertrail/topic/orders in the key policy");
    }

    @Test
    void allowRulesMatchPrincipalKeyPatternAndOperationOnly() {
        KeyPolicy policy = policy();
        assertThat(policy.decide("User:orders-service", KeyPermission.ENCRYPT, "ciphertrail/topic/orders").rule()).isEqualTo("orders-writer");
        assertThat(policy.decide("User:orders-service", KeyPermission.DERIVE, "ciphertrail/topic/orders/record-key").allowed()).isTrue();
        assertThat(policy.decide("User:orders-service", KeyPermission.ENCRYPT, "ciphertrail/topic/orders2").allowed()).isFalse();
        assertThat(policy.decide("User:orders-service-2", KeyPermission.ENCRYPT, "ciphertrail/topic/orders").allowed()).isFalse();
        assertThat(policy.decide("User:orders-service", KeyPermission.ADMIN, "ciphertrail/topic/orders").allowed()).isFalse();
        // Pattern characters of a regular expression are literal.
        assertThat(policy.decide("User:reader-a", KeyPermission.DECRYPT, "ciphertrailXtopic/orders").allowed()).isFalse();
    }

    @Test
    void anEnforcedDenyRuleWinsOverAnAllowRule() {
        Decision decision = policy().decide("User:reader-a", KeyPermission.DECRYPT, "ciphertrail/topic/payments");
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.rule()).isEqualTo("no-payments-for-readers");
        assertThat(policy().decide("User:reader-a", KeyPermission.DECRYPT, "ciphertrail/topic/orders").allowed()).isTrue();
    }

    @Test
    void aDryRunDenyRuleDeniesNothingButSaysWhatItWouldDeny() {
        Decision decision = policy().decide("User:reader-contractor", KeyPermission.DECRYPT, "ciphertrail/topic/orders");
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.dryRunDenied()).isTrue();
        assertThat(decision.rule()).isEqualTo("contractors-soon-out");
    }

    @Test
    void aDryRunPolicyDeniesNothingAndReportsEveryWouldBeDenial() {
        KeyPolicy dryRun = KeyPolicyFile.parse("mode: DRY_RUN\n" + POLICY, "key-policy.yaml");
        Decision decision = dryRun.decide("User:stranger", KeyPermission.DECRYPT, "ciphertrail/topic/orders");
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.dryRunDenied()).isTrue();
        assertThat(decision.reason()).contains("DRY_RUN").contains("User:stranger");
        assertThat(dryRun.decide("User:reader-a", KeyPermission.DECRYPT, "ciphertrail/topic/orders").dryRunDenied()).isFalse();
    }

    @Test
    void eachMistakeIsRefusedNamingTheRuleAndTheField() {
        assertRefused("rules:\n  - name: r1\n    principals: [orders-service]\n    keys: [k]\n    operations: [DECRYPT]\n",
                "rules[0] ('r1')", "User:orders-service");
        assertRefused("rules:\n  - name: r1\n    principals: [User:a]\n    keys: [k]\n    operations: [DECRYPTT]\n",
                "rules[0] ('r1')", "'DECRYPTT' is not an operation");
        assertRefused("rules:\n  - name: r1\n    principals: [User:a]\n    keys: [k]\n    operations: [DECRYPT]\n    mode: DRY_RUN\n",
                "rules[0] ('r1')", "DRY_RUN is for DENY rules");
        assertRefused("rules:\n  - name: r1\n    principals: [User:a]\n    operations: [DECRYPT]\n", "rules[0] ('r1')", "'keys' is required");
        assertRefused("rules:\n  - name: r1\n    principals: [User:a]\n    keys: [k]\n    operations: [DECRYPT]\n    principal: x\n",
                "rules[0] ('r1')", "unknown field 'principal'");
        assertRefused("rules:\n  - {name: a, principals: [User:a], keys: [k], operations: [ADMIN]}\n"
                + "  - {name: a, principals: [User:b], keys: [k], operations: [ADMIN]}\n", "key-policy.yaml", "'a' is used twice");
        assertRefused("mode: LOOSE\nrules: []\n", "mode", "'LOOSE' is not one of");
        assertRefused("rules: [\n", "key-policy.yaml", "not valid YAML");
    }

    private static void assertRefused(String yaml, String where, String what) {
        assertThatThrownBy(() -> KeyPolicyFile.parse(yaml, "key-policy.yaml"))
                .isInstanceOf(KeyPolicyException.class).hasMessageContaining(where).hasMessageContaining(what);
    }
}
