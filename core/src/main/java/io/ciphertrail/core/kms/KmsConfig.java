package io.ciphertrail.core.kms;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Chooses and builds the KMS from {@code ciphertrail.kms.*} settings. */
public final class KmsConfig {
    public static final String TYPE_CONFIG = "ciphertrail.kms.type";

    private KmsConfig() {
    }

    /** {@code ciphertrail.kms.type} and every installed provider's settings, for merging into a client's definitions. */
    public static ConfigDef addTo(ConfigDef def) {
        def.define(TYPE_CONFIG, Type.STRING, "local", Importance.HIGH,
                "Which KMS holds the key encryption keys: " + String.join(", ", types())
                        + ". 'local' keeps them in a password-protected key store file; 'pkcs11' in an HSM token; 'remote' in"
                        + " the Ciphertrail key service, which grants each workload identity only what its key policy allows.");
        for (KmsProvider provider : providers()) {
            ConfigDef own = provider.configDef();
            for (ConfigDef.ConfigKey key : own.configKeys().values()) {
                if (!def.names().contains(key.name)) {
                    def.define(key);
                }
            }
        }
        return def;
    }

    public static ConfigDef configDef() {
        return addTo(new ConfigDef());
    }

    public static Kms kms(Map<String, ?> configs) {
        return provider(configs).createKms(configs);
    }

    public static KmsAdmin admin(Map<String, ?> configs) {
        return provider(configs).createAdmin(configs);
    }

    /** Creates the configured KMS's empty KEK storage ({@link KmsProvider#initialize}); returns where it is. */
    public static String initialize(Map<String, ?> configs) {
        return provider(configs).initialize(configs);
    }

    private static KmsProvider provider(Map<String, ?> configs) {
        Object type = configs.get(TYPE_CONFIG);
        String name = type == null ? "local" : type.toString().trim();
        return providers().stream().filter(p -> p.type().equals(name)).findFirst()
                .orElseThrow(() -> new ConfigException(TYPE_CONFIG, name, "no such KMS provider; installed: " + String.join(", ", types())));
    }

    private static List<KmsProvider> providers() {
        List<KmsProvider> providers = new ArrayList<>();
        ServiceLoader.load(KmsProvider.class, KmsConfig.class.getClassLoader()).forEach(providers::add);
        return providers;
    }

    private static List<String> types() {
        return providers().stream().map(KmsProvider::type).sorted().collect(Collectors.toList());
    }
}
