package io.ciphertrail.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.pki.KeyStores;
import io.ciphertrail.embedded.BrokerSettings;
import io.ciphertrail.embedded.ClusterNode;
import io.ciphertrail.embedded.MultiNodeSecureKafka;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The cluster the fault tests break is the one the platform promises: every node runs the platform's
 * broker settings and its authorizer, demands a client certificate on every listener, and keeps every
 * topic, internal ones included, on three nodes with two in sync.
 */
class ClusterShapeTest extends ClusterFaultTest {

    @Test
    void everyNodeRunsThePlatformsBrokerSettings(MultiNodeSecureKafka kafka) throws Exception {
        Map<String, String> expected = new HashMap<>(BrokerSettings.platform(3));
        // The authorizer's own settings are not Kafka's to describe; the authorization tests below show them at work.
        expected.put("authorizer.class.name", BrokerSettings.SECURE_TRANSPORT_AUTHORIZER);
        try (Admin admin = kafka.admin()) {
            for (ClusterNode node : kafka.nodes()) {
                ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(node.id()));
                Config config = admin.describeConfigs(List.of(broker)).all().get(30, TimeUnit.SECONDS).get(broker);
                expected.forEach((key, value) -> assertThat(config.get(key)).as("%s on node %d", key, node.id())
                        .satisfies(entry -> assertThat(entry.value()).isEqualTo(value)));
            }
        }
    }

    @Test
    void everyTopicIsOnThreeNodesAndNeedsTwoInSync(MultiNodeSecureKafka kafka) throws Exception {
        kafka.createTopics(2, "shape");
        useGroupsAndTransactions(kafka);
        try (Admin admin = kafka.admin()) {
            Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
            assertThat(topics).contains("shape", "__consumer_offsets", "__transaction_state");
            Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
            for (TopicDescription topic : described.values()) {
                topic.partitions().forEach(partition -> assertThat(partition.replicas()).as("replicas of %s-%d", topic.name(), partition.partition())
                        .hasSize(3));
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
                Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
                assertThat(config.get("min.insync.replicas").value()).as("min.insync.replicas of %s", topic.name()).isEqualTo("2");
            }
        }
    }

    @Test
    void everyListenerOfEveryNodeDemandsAClientCertificate(MultiNodeSecureKafka kafka) throws Exception {
        Map<String, Object> admin = kafka.clientProperties(MultiNodeSecureKafka.ADMIN_IDENTITY);
        char[] password = admin.get(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG).toString().toCharArray();
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(KeyStores.load(java.nio.file.Path.of(admin.get(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG).toString()), password));
        SSLContext noCertificate = SSLContext.getInstance("TLS");
        noCertificate.init(null, trust.getTrustManagers(), null);
        for (ClusterNode node : kafka.nodes()) {
            assertThat(node.listeners()).containsOnlyKeys("SSL", "INTERNAL", "CONTROLLER");
            for (Map.Entry<String, String> listener : node.listeners().entrySet()) {
                String[] hostPort = listener.getValue().split(":");
                try (SSLSocket socket = (SSLSocket) noCertificate.getSocketFactory().createSocket()) {
                    socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 10_000);
                    socket.setSoTimeout(10_000);
                    X509Certificate presented = (X509Certificate) handshake(socket);
                    assertThat(presented.getSubjectX500Principal().getName()).as("node %d presents its own identity", node.id())
                            .startsWith("CN=" + node.identity() + ",");
                    // TLS 1.3: the server checks the client's (missing) certificate after the handshake, and hangs up.
                    assertThatThrownBy(() -> {
                        socket.getOutputStream().write(new byte[] {0, 0, 0, 1, 0});
                        socket.getOutputStream().flush();
                        if (socket.getInputStream().read() < 0) {
                            throw new IOException("closed");
                        }
                    }).as("node %d's %s listener without a client certificate", node.id(), listener.getKey()).isInstanceOf(IOException.class);
                }
            }
        }
    }

    @Test
    void everyNodesAuthorizerDeniesWhatNoAclAllows(MultiNodeSecureKafka kafka) throws Exception {
        for (ClusterNode node : kafka.nodes()) {
            Map<String, Object> stranger = kafka.clientProperties("no-acls");
            stranger.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, node.bootstrapServers());
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(node.id()));
            try (Admin admin = Admin.create(stranger)) {
                assertThatThrownBy(() -> admin.describeConfigs(List.of(broker)).all().get(30, TimeUnit.SECONDS))
                        .as("node %d answers an identity without ACLs", node.id())
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ClusterAuthorizationException.class);
            }
            try (Admin admin = kafka.admin()) {
                assertThat(admin.describeConfigs(List.of(broker)).all().get(30, TimeUnit.SECONDS)).containsKey(broker);
            }
        }
    }

    private static java.security.cert.Certificate handshake(SSLSocket socket) throws IOException {
        socket.startHandshake();
        return socket.getSession().getPeerCertificates()[0];
    }

    /** A consumer group's offsets and a transaction: Kafka creates its offsets and transaction topics on first use. */
    private static void useGroupsAndTransactions(MultiNodeSecureKafka kafka) {
        Map<String, Object> producer = kafka.clientProperties(MultiNodeSecureKafka.ADMIN_IDENTITY);
        producer.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "shape-transactions");
        try (KafkaProducer<String, String> transactional = new KafkaProducer<>(producer, new StringSerializer(), new StringSerializer())) {
            transactional.initTransactions();
            transactional.beginTransaction();
            transactional.send(new org.apache.kafka.clients.producer.ProducerRecord<>("shape", "k", "v"));
            transactional.commitTransaction();
        }
        Map<String, Object> consumer = kafka.clientProperties(MultiNodeSecureKafka.ADMIN_IDENTITY);
        consumer.put(ConsumerConfig.GROUP_ID_CONFIG, "shape-group");
        consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(consumer, new StringDeserializer(), new StringDeserializer())) {
            reader.subscribe(List.of("shape"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (reader.assignment().isEmpty() && System.nanoTime() < deadline) {
                reader.poll(java.time.Duration.ofMillis(200));
            }
            reader.commitSync();
        }
    }
}
