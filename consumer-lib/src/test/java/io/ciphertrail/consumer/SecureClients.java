package io.ciphertrail.consumer;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.embedded.SecureKafkaCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Client settings for tests: the cluster's mTLS settings for an identity plus a local KMS shared by the test. */
final class SecureClients {
    static final String KMS_SECRET = "kms-QPX77-never-logged";
    private final SecureKafkaCluster kafka;
    private final Map<String, Object> kms = new HashMap<>();

    SecureClients(SecureKafkaCluster kafka, Path dir) throws Exception {
        this.kafka = kafka;
        Path password = dir.resolve("kms-password");
        if (!Files.exists(password)) {
            SecureFiles.writeOwnerOnly(password, KMS_SECRET.getBytes(StandardCharsets.UTF_8));
        }
        kms.put(KmsConfig.TYPE_CONFIG, "local");
        kms.put(LocalKmsProvider.KEYSTORE_PATH_CONFIG, dir.resolve("keks.p12").toString());
        kms.put(LocalKmsProvider.PASSWORD_FILE_CONFIG, password.toString());
    }

    /** Creates the KEK of each topic and the topic itself. */
    void topics(String... topics) {
        kafka.createTopics(1, topics);
        try (KmsAdmin admin = KmsConfig.admin(kms)) {
            for (String topic : topics) {
                admin.create("ciphertrail/topic/" + topic);
            }
        }
    }

    Map<String, Object> configs(String identity, Object... overrides) {
        Map<String, Object> configs = new HashMap<>(kafka.clientProperties(identity));
        configs.putAll(kms);
        for (int i = 0; i < overrides.length; i += 2) {
            configs.put((String) overrides[i], overrides[i + 1]);
        }
        return configs;
    }

    Map<String, Object> consumerConfigs(String identity, String group, Object... overrides) {
        Map<String, Object> configs = configs(identity, overrides);
        configs.put("group.id", group);
        configs.put("auto.offset.reset", "earliest");
        return configs;
    }
}
