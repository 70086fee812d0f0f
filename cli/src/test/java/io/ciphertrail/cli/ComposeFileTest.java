package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ciphertrail.embedded.BrokerSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * docker/compose.yaml without a Docker engine: every file it mounts from the repository exists once the
 * build has run, its nodes run the platform's broker settings, and it carries no secret. (CI also validates
 * it with 'docker-compose config -q'.)
 */
class ComposeFileTest {
    private static final Path DOCKER = Path.of("").toAbsolutePath().getParent().resolve("docker");

    @Test
    void everyMountedFileExistsAfterTheBuild() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(DOCKER.resolve("compose.yaml").toFile());
        List<String> sources = new ArrayList<>();
        compose.path("services").forEach(service -> service.path("volumes").forEach(volume -> {
            String source = volume.asText().split(":")[0];
            if (source.startsWith(".")) {
                sources.add(source);
            }
        }));
        compose.path("x-kafka").path("volumes").forEach(volume -> {
            String source = volume.asText().split(":")[0];
            if (source.startsWith(".")) {
                sources.add(source);
            }
        });
        assertThat(sources).contains("./bootstrap-certs.sh", "./policies.yaml", "./key-policy.yaml", "../cli/target")
                .anyMatch(s -> s.contains("ciphertrail-broker-authorizer"))
                .anyMatch(s -> s.contains("ciphertrail-policy-service"))
                .anyMatch(s -> s.contains("ciphertrail-trust-service"));
        for (String source : sources) {
            assertThat(DOCKER.resolve(source).normalize()).as("mounted by docker/compose.yaml").exists();
        }
    }

    /**
     * Docker's nodes run the platform's broker settings, the very ones the local and test clusters get from
     * {@link BrokerSettings}: the compose file may add only addresses, files and identities.
     */
    @Test
    void theNodesRunThePlatformsBrokerSettings() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(DOCKER.resolve("compose.yaml").toFile());
        Map<String, String> docker = brokerProperties(compose.path("x-kafka-env"));
        compose.path("services").fields().forEachRemaining(service -> {
            if (service.getKey().startsWith("kafka-")) {
                docker.putAll(brokerProperties(service.getValue().path("environment")));
            }
        });
        Map<String, String> platform = new TreeMap<>(BrokerSettings.platform(3));
        platform.putAll(BrokerSettings.authorizer(BrokerSettings.SECURE_TRANSPORT_AUTHORIZER));

        assertThat(docker).as("docker/compose.yaml's broker settings").containsAllEntriesOf(platform);
        Set<String> deploymentOnly = Set.of("node.id", "listeners", "advertised.listeners", "listener.security.protocol.map",
                "controller.quorum.voters", "controller.listener.names", "inter.broker.listener.name", "super.users");
        assertThat(docker.keySet()).as("settings docker/compose.yaml adds beyond addresses and identities; put them in BrokerSettings")
                .allMatch(key -> platform.containsKey(key) || deploymentOnly.contains(key));
    }

    /**
     * The {@code KAFKA_*} variables of an environment block as the apache/kafka image turns them into broker
     * properties ({@code ___} is a dash, {@code __} an underscore, {@code _} a dot), without the image's own
     * file and credential variables; {@code $$} is Compose's escaped {@code $}.
     */
    private static Map<String, String> brokerProperties(JsonNode environment) {
        Map<String, String> properties = new TreeMap<>();
        environment.fields().forEachRemaining(variable -> {
            String name = variable.getKey();
            if (!name.startsWith("KAFKA_") || name.endsWith("_FILENAME") || name.endsWith("_CREDENTIALS")) {
                return;
            }
            String key = name.substring("KAFKA_".length()).replace("___", "-").replace("__", "\0").replace('_', '.')
                    .replace("\0", "_").toLowerCase(Locale.ROOT);
            properties.put(key, variable.getValue().asText().replace("$$", "$"));
        });
        return properties;
    }

    @Test
    void theComposeFileHoldsNoSecret() throws Exception {
        String text = Files.readString(DOCKER.resolve("compose.yaml")).toLowerCase();
        assertThat(text).doesNotContainPattern("password\\s*[:=]\\s*\\S").doesNotContain("begin private key");
        assertThat(text).contains("keystore_credentials").contains("ciphertrail_authorizer_mode: \"strict\"");
    }
}
