package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docker/compose.yaml without a Docker engine: every file it mounts from the repository exists once the
 * build has run, and it carries no secret. (CI also validates it with 'docker-compose config -q'.)
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

    @Test
    void theComposeFileHoldsNoSecret() throws Exception {
        String text = Files.readString(DOCKER.resolve("compose.yaml")).toLowerCase();
        assertThat(text).doesNotContainPattern("password\\s*[:=]\\s*\\S").doesNotContain("begin private key");
        assertThat(text).contains("keystore_credentials").contains("ciphertrail_authorizer_mode: \"strict\"");
    }
}
