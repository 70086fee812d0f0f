package io.ciphertrail.cli.docs;

import io.ciphertrail.broker.authorizer.SecureTransportConfig;
import io.ciphertrail.consumer.SecureConsumerConfig;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.producer.SecureProducerConfig;
import io.ciphertrail.trust.TrustServiceConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;

/**
 * Writes {@code docs/configuration.md} from the {@link ConfigDef}s themselves, so the reference cannot
 * drift from the code. Run by the build (see cli/pom.xml); {@code .ci/run} fails when the committed
 * file differs from what the build wrote.
 */
public final class ConfigurationReference {
    private ConfigurationReference() {
    }

    public static void main(String[] args) throws IOException {
        Path target = Path.of(args.length > 0 ? args[0] : "docs/configuration.md");
        Files.createDirectories(target.toAbsolutePath().getParent());
        Files.writeString(target, render(), StandardCharsets.UTF_8);
    }

    static String render() {
        ConfigDef shared = KmsConfig.addTo(EnvelopeConfig.addTo(TlsConfig.addTo(new ConfigDef())));
        StringBuilder out = new StringBuilder();
        out.append("# Configuration reference\n\n")
                .append("Generated from the code's `ConfigDef` definitions by the build; do not edit by hand.\n\n")
                .append("Ciphertrail settings sit beside the ordinary Kafka settings of each client (`bootstrap.servers`, `ssl.*`, ...),\n")
                .append("which keep their Kafka meaning. Secrets are never configuration values: passwords and PINs are read from an\n")
                .append("environment variable or an owner-only file named by a setting.\n\n");
        section(out, "Every client (producer, consumer, serializers, policy service)",
                "TLS (`ciphertrail.tls.*`), key management (`ciphertrail.kms.*`) and envelope (`ciphertrail.envelope.*`) settings.",
                shared, Set.of());
        section(out, "Producer library", "`SecureProducer`, `SecureSerializer`.", SecureProducerConfig.configDef(), shared.names());
        section(out, "Consumer library", "`SecureConsumer`, `SecureShareConsumer` (share groups), `SecureDeserializer`, `SecureSerde`.", SecureConsumerConfig.configDef(), shared.names());
        section(out, "Policy service", "The service's own settings; everything else in its properties file goes to Kafka Streams.",
                PolicyServiceConfig.configDef(), Set.of());
        section(out, "Trust service (key service)", "The service's own settings. Its properties file also holds its TLS identity"
                        + " (`ssl.keystore.*`, `ssl.truststore.*`, as on a broker listener), the backend KMS (`ciphertrail.kms.type=local`"
                        + " or `pkcs11` and their settings above) and, to publish the audit trail, `bootstrap.servers` with any other Kafka"
                        + " client settings. See [key-management.md](key-management.md#the-key-service).",
                TrustServiceConfig.configDef(), Set.of());
        section(out, "Broker authorizer", "Broker settings of the `SecureTransportAuthorizer` (see [broker-setup.md](broker-setup.md)).",
                SecureTransportConfig.CONFIG, Set.of());
        return out.toString();
    }

    private static void section(StringBuilder out, String title, String intro, ConfigDef def, Set<String> skip) {
        List<ConfigDef.ConfigKey> keys = def.configKeys().values().stream()
                .filter(key -> !skip.contains(key.name))
                .sorted(Comparator.comparing((ConfigDef.ConfigKey key) -> key.name))
                .collect(Collectors.toList());
        out.append("## ").append(title).append("\n\n").append(intro).append("\n\n");
        out.append("| key | type | default | valid values | importance | description |\n");
        out.append("|---|---|---|---|---|---|\n");
        for (ConfigDef.ConfigKey key : keys) {
            out.append("| `").append(key.name).append("` | ")
                    .append(key.type.name().toLowerCase()).append(" | ")
                    .append(defaultText(key)).append(" | ")
                    .append(key.validator == null ? "" : cell(key.validator.toString())).append(" | ")
                    .append(key.importance.name().toLowerCase()).append(" | ")
                    .append(cell(key.documentation)).append(" |\n");
        }
        out.append('\n');
    }

    private static String defaultText(ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return "(required)";
        }
        Object value = key.defaultValue;
        if (value == null) {
            return "null";
        }
        if (value instanceof Password) {
            return "[hidden]";
        }
        if (value instanceof List<?> list) {
            value = list.stream().map(Object::toString).collect(Collectors.joining(","));
        }
        if (value instanceof Class<?> type) {
            value = type.getName();
        }
        String text = value.toString();
        return text.isEmpty() ? "\"\"" : "`" + cell(text) + "`";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
