package io.ciphertrail.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.pki.CertificateAuthority;
import io.ciphertrail.core.pki.TlsFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrokerSettingsTest {

    @Test
    void everyTopicIsReplicatedSoThatOneNodeMayFail() {
        assertThat(BrokerSettings.platform(1)).containsEntry("default.replication.factor", "1").containsEntry("min.insync.replicas", "1")
                .containsEntry("transaction.state.log.min.isr", "1");
        assertThat(BrokerSettings.platform(3)).containsEntry("default.replication.factor", "3").containsEntry("min.insync.replicas", "2")
                .containsEntry("offsets.topic.replication.factor", "3")
                .containsEntry("transaction.state.log.replication.factor", "3").containsEntry("transaction.state.log.min.isr", "2")
                .containsEntry("share.coordinator.state.topic.replication.factor", "3").containsEntry("share.coordinator.state.topic.min.isr", "2")
                .containsEntry("unclean.leader.election.enable", "false").containsEntry("ssl.client.auth", "required");
        assertThat(BrokerSettings.platform(5)).containsEntry("default.replication.factor", "3").containsEntry("min.insync.replicas", "2");
        assertThatThrownBy(() -> BrokerSettings.platform(0)).hasMessageContaining("at least one node");
    }

    @Test
    void aNodeOfAClusterKnowsEveryVoterListensOnlyOverTlsAndDetectsFailuresFast(@TempDir Path dir) {
        CertificateAuthority ca = CertificateAuthority.create("Test CA");
        TlsFiles tls = TlsFiles.write(dir, ca.issue(MultiNodeSecureKafka.nodeCertificateSpec(2)), List.of(ca.certificate()));
        Map<String, String> node = BrokerSettings.node(2)
                .quorum(Map.of(1, 9101, 2, 9102, 3, 9103))
                .listeners(Map.of(ListenerName.SSL, 9001, ListenerName.INTERNAL, 9002, ListenerName.CONTROLLER, 9003))
                .tls(tls)
                .superUsers(List.of("User:kafka-1", "User:kafka-2"))
                .authorizerClass(BrokerSettings.SECURE_TRANSPORT_AUTHORIZER)
                .dataDirectory(dir.resolve("data"))
                .overrides(Map.of("min.insync.replicas", "3"))
                .toMap();
        assertThat(node).containsEntry("node.id", "2")
                .containsEntry("controller.quorum.voters", "1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103")
                .containsEntry("listeners", "SSL://localhost:9001,INTERNAL://127.0.0.1:9002,CONTROLLER://127.0.0.1:9003")
                .containsEntry("advertised.listeners", "SSL://localhost:9001,INTERNAL://127.0.0.1:9002")
                .containsEntry("listener.security.protocol.map", "SSL:SSL,INTERNAL:SSL,CONTROLLER:SSL")
                .containsEntry("ssl.keystore.location", tls.keyStore().toString())
                .containsEntry("super.users", "User:kafka-1;User:kafka-2")
                .containsEntry("ciphertrail.authorizer.mode", "STRICT")
                .containsEntry("allow.everyone.if.no.acl.found", "false")
                .containsEntry("broker.session.timeout.ms", "4000")
                .containsEntry("min.insync.replicas", "3");
    }

    @Test
    void aSingleNodeKeepsKafkasPatientFailureDetection(@TempDir Path dir) {
        CertificateAuthority ca = CertificateAuthority.create("Test CA");
        TlsFiles tls = TlsFiles.write(dir, ca.issue(MultiNodeSecureKafka.nodeCertificateSpec(1)), List.of(ca.certificate()));
        Map<String, String> node = BrokerSettings.node(1)
                .quorum(Map.of(1, 9101))
                .listeners(Map.of(ListenerName.SSL, 9001, ListenerName.INTERNAL, 9002, ListenerName.CONTROLLER, 9003, ListenerName.PLAINTEXT, 9004))
                .tls(tls)
                .superUsers(List.of("User:kafka-1"))
                .dataDirectory(dir.resolve("data"))
                .toMap();
        assertThat(node).doesNotContainKeys("broker.session.timeout.ms", "authorizer.class.name")
                .containsEntry("listener.security.protocol.map", "SSL:SSL,INTERNAL:SSL,CONTROLLER:SSL,PLAINTEXT:PLAINTEXT")
                .containsEntry("offsets.topic.replication.factor", "1");
    }
}
