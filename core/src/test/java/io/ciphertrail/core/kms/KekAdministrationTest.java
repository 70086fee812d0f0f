package io.ciphertrail.core.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.SecretKey;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KekAdministrationTest {
    @TempDir
    Path dir;

    @Test
    void createRotateListAndDestroyInTheLocalStore() {
        Map<String, Object> configs = KmsFixture.local(dir);
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            assertThat(admin.create("ciphertrail/topic/Orders")).isEqualTo(new KekRef("ciphertrail/topic/Orders", 1));
            admin.create("ciphertrail/topic/orders");
            assertThat(admin.rotate("ciphertrail/topic/Orders")).isEqualTo(new KekRef("ciphertrail/topic/Orders", 2));
            admin.destroy(new KekRef("ciphertrail/topic/Orders", 1));

            List<KekInfo> keys = admin.list();
            assertThat(keys).extracting(KekInfo::ref, KekInfo::state).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(new KekRef("ciphertrail/topic/Orders", 1), KekInfo.State.DESTROYED),
                    org.assertj.core.groups.Tuple.tuple(new KekRef("ciphertrail/topic/Orders", 2), KekInfo.State.ACTIVE),
                    org.assertj.core.groups.Tuple.tuple(new KekRef("ciphertrail/topic/orders", 1), KekInfo.State.ACTIVE));
            assertThat(keys.get(1).created()).isNotNull();

            assertThatThrownBy(() -> admin.create("ciphertrail/topic/orders")).hasMessageContaining("already exists");
            assertThatThrownBy(() -> admin.rotate("missing")).isInstanceOf(UnknownKeyException.class).hasMessageContaining("create it first");
        }
        assertThat(SecureFiles.isOwnerOnly(dir.resolve("keks.p12"))).isTrue();
    }

    @Test
    void wrongPasswordOpenFileAndMissingSecretAreRefusedClearly() throws Exception {
        Map<String, Object> configs = KmsFixture.local(dir);
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            admin.create("a");
        }
        Path wrong = dir.resolve("wrong-password");
        SecureFiles.writeOwnerOnly(wrong, "not-it".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> wrongPassword = new HashMap<>(configs);
        wrongPassword.put(LocalKmsProvider.PASSWORD_FILE_CONFIG, wrong.toString());
        assertThatThrownBy(() -> KmsConfig.admin(wrongPassword)).isInstanceOf(KmsAccessDeniedException.class)
                .hasMessageContaining("password").hasMessageContaining(LocalKmsProvider.PASSWORD_FILE_CONFIG)
                .hasMessageNotContaining(KmsFixture.SECRET);

        Files.setPosixFilePermissions(dir.resolve("keks.p12"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> KmsConfig.admin(configs)).hasMessageContaining("readable by others").hasMessageContaining("chmod 600");

        Map<String, Object> fromEnv = new HashMap<>(configs);
        fromEnv.remove(LocalKmsProvider.PASSWORD_FILE_CONFIG);
        fromEnv.put(LocalKmsProvider.PASSWORD_ENV_CONFIG, "CIPHERTRAIL_TEST_UNSET_" + UUID.randomUUID().toString().replace('-', '_'));
        assertThatThrownBy(() -> KmsConfig.admin(fromEnv)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(LocalKmsProvider.PASSWORD_ENV_CONFIG).hasMessageContaining("not set");

        Map<String, Object> unknownType = new HashMap<>(configs);
        unknownType.put(KmsConfig.TYPE_CONFIG, "aws");
        assertThatThrownBy(() -> KmsConfig.kms(unknownType)).hasMessageContaining("installed: local, pkcs11");
    }

    @Test
    void onDemandCreationOnlyWhenExplicitlyEnabled() {
        Map<String, Object> configs = KmsFixture.local(dir);
        try (Kms kms = KmsConfig.kms(configs)) {
            assertThatThrownBy(() -> kms.resolveAlias("fresh").toCompletableFuture().join()).hasCauseInstanceOf(UnknownKeyException.class);
        }
        configs.put(LocalKmsProvider.AUTO_CREATE_CONFIG, true);
        try (Kms kms = KmsConfig.kms(configs)) {
            assertThat(kms.resolveAlias("fresh").toCompletableFuture().join()).isEqualTo(new KekRef("fresh", 1));
        }
    }

    @Test
    void tokenKeksAreSensitiveAndNeverLeaveTheToken() throws Exception {
        Map<String, Object> configs = KmsFixture.pkcs11();
        String alias = "ciphertrail/topic/hsm-" + UUID.randomUUID();
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            admin.create(alias);
            assertThat(admin.list()).anyMatch(info -> info.ref().alias().equals(alias) && info.created() == null);
        }
        java.security.Provider provider = java.security.Security.getProvider("SunPKCS11")
                .configure("--name=probe\nlibrary=/usr/lib/softhsm/libsofthsm2.so\nslotListIndex=0\n");
        KeyStore token = KeyStore.getInstance("PKCS11", provider);
        token.load(null, KmsFixture.SECRET.toCharArray());
        SecretKey key = (SecretKey) token.getKey(KekStore.entry(alias, 1), null);
        assertThat(key).isNotNull();
        assertThat(key.getEncoded()).as("a token KEK must not be extractable").isNull();
    }

    @Test
    void toStringsNeverShowKeyMaterialOrSecrets() {
        Dek dek = Dek.generate();
        byte[] material = dek.copyMaterial();
        assertThat(dek.toString()).isEqualTo("Dek[live]").doesNotContain(java.util.HexFormat.of().formatHex(material));
        dek.destroy();
        assertThat(dek.isDestroyed()).isTrue();
        assertThatThrownBy(dek::secretKey).hasMessageContaining("destroyed");
        assertThat(new Edek(new KekRef("a", 1), material).toString()).isEqualTo("Edek[a v1, 32 bytes]");
        try (Kms kms = KmsConfig.kms(KmsFixture.local(dir))) {
            assertThat(kms.toString()).doesNotContain(KmsFixture.SECRET);
        }
    }
}
