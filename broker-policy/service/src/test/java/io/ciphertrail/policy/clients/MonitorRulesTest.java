package io.ciphertrail.policy.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.schemas.audit.AuditEvent;
import io.ciphertrail.schemas.audit.AuditEventType;
import io.ciphertrail.schemas.audit.AuthorizationInfo;
import io.ciphertrail.schemas.audit.Decision;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;

/** What the insecure-client monitor believes, and whom it never blocks. */
class MonitorRulesTest {
    private static final String CLUSTER = "lQx3ZKsWQ4mFq3Z3lqUvyw";
    private final TrustedAuditEvents trusted = new TrustedAuditEvents(CLUSTER, Set.of("replication"));

    @Test
    void onlyBrokerEventsOfThisClusterAboutInsecureAttemptsCount() {
        assertThat(trusted.insecureAttempt(key("10.0.0.9"), event("crn:///kafka=" + CLUSTER + "/node=1/role=broker",
                AuditEventType.INSECURE_REQUEST_DENIED, "PLAINTEXT", "STRICT", "10.0.0.9"))).isTrue();
        assertThat(trusted.insecureAttempt(key("10.0.0.9"), event("crn:///kafka=" + CLUSTER + "/node=3000/role=controller",
                AuditEventType.ANONYMOUS_REQUEST_DENIED, "SSL", "STRICT", "10.0.0.9"))).isTrue();
        // Another cluster, a service pretending to be a broker, a wrong type, a key that is not the client's address.
        assertThat(trusted.insecureAttempt(key("10.0.0.9"), event("crn:///kafka=other/node=1/role=broker",
                AuditEventType.INSECURE_REQUEST_DENIED, "PLAINTEXT", "STRICT", "10.0.0.9"))).isFalse();
        assertThat(trusted.insecureAttempt(key("10.0.0.9"), event("crn:///kafka=" + CLUSTER + "/node=1/role=broker/x",
                AuditEventType.INSECURE_REQUEST_DENIED, "PLAINTEXT", "STRICT", "10.0.0.9"))).isFalse();
        AuditEvent wrongType = event("crn:///kafka=" + CLUSTER + "/node=1/role=broker", AuditEventType.INSECURE_REQUEST_DENIED, "PLAINTEXT",
                "STRICT", "10.0.0.9");
        wrongType.setType("io.ciphertrail.gate/record");
        assertThat(trusted.insecureAttempt(key("10.0.0.9"), wrongType)).isFalse();
        assertThat(trusted.insecureAttempt(key("10.0.0.8"), event("crn:///kafka=" + CLUSTER + "/node=1/role=broker",
                AuditEventType.INSECURE_REQUEST_DENIED, "PLAINTEXT", "STRICT", "10.0.0.9"))).isFalse();
        // Exempted listeners: named in the settings, or evident in STRICT mode (an insecure request it did not deny).
        assertThat(trusted.insecureAttempt(key("10.0.0.9"), event("crn:///kafka=" + CLUSTER + "/node=1/role=broker",
                AuditEventType.INSECURE_REQUEST_ALLOWED, "PLAINTEXT", "STRICT", "10.0.0.9"))).isFalse();
        AuditEvent permissiveReplication = event("crn:///kafka=" + CLUSTER + "/node=1/role=broker", AuditEventType.INSECURE_REQUEST_ALLOWED,
                "PLAINTEXT", "PERMISSIVE", "10.0.0.9");
        assertThat(trusted.insecureAttempt(key("10.0.0.9"), permissiveReplication)).isTrue();
        permissiveReplication.getAuthorization().setListener("REPLICATION");
        assertThat(trusted.insecureAttempt(key("10.0.0.9"), permissiveReplication)).isFalse();
    }

    @Test
    void wildcardsEmptyNamesSuperUsersAndTheServiceItselfAreNeverBlocked() {
        Unblockable never = new Unblockable(Set.of("User:kafka-broker", "User:policy-service"));
        assertThat(never.why("User:*", "10.0.0.9")).get().asString().contains("wildcard principal");
        assertThat(never.why("User:orders", "*")).get().asString().contains("wildcard");
        assertThat(never.why("User:orders", "")).isPresent();
        assertThat(never.why("", "10.0.0.9")).isPresent();
        assertThat(never.why("User:", "10.0.0.9")).isPresent();
        assertThat(never.why("orders", "10.0.0.9")).isPresent();
        assertThat(never.why("User:kafka-broker", "10.0.0.9")).get().asString().contains("super user or the service itself");
        assertThat(never.why("User:policy-service", "10.0.0.9")).isPresent();
        assertThat(never.why("User:ANONYMOUS", "10.0.0.9")).isEmpty();
        assertThat(Unblockable.certificatePrincipals(new X500Principal("CN=policy-service,O=Ciphertrail")))
                .containsExactly("User:CN=policy-service,O=Ciphertrail", "User:policy-service");
    }

    private static byte[] key(String address) {
        return address.getBytes(StandardCharsets.UTF_8);
    }

    static AuditEvent event(String source, AuditEventType type, String protocol, String mode, String address) {
        return AuditEvent.newBuilder()
                .setId("e").setSource(source).setType(TrustedAuditEvents.AUTHORIZATION_TYPE).setTime(Instant.now()).setEventType(type)
                .setAuthorization(AuthorizationInfo.newBuilder()
                        .setListener(protocol).setSecurityProtocol(protocol).setPrincipal("User:ANONYMOUS").setClientAddress(address)
                        .setClientId("c").setRequestType("METADATA").setResourceType("TOPIC").setResourceName("t").setOperation("DESCRIBE")
                        .setDecision(Decision.DENIED).setReason("r").setMode(mode).setCount(20)
                        .setWindowStart(Instant.now()).setWindowEnd(Instant.now()).build())
                .build();
    }
}
