package io.ciphertrail.core.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
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
    void clientsNeverCreateKeksAndTheRemovedAutoCreateSettingIsRefused() {
        Map<String, Object> configs = KmsFixture.local(dir);
        try (Kms kms = KmsConfig.kms(configs)) {
            assertThatThrownBy(() -> kms.resolveAlias("fresh").toCompletableFuture().join()).hasCauseInstanceOf(UnknownKeyException.class);
        }
        configs.put("ciphertrail.kms.local.auto.create.keks", "true");
        assertThatThrownBy(() -> KmsConfig.kms(configs)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("ciphertrail.kms.local.auto.create.keks").hasMessageContaining("clients never create KEKs")
                .hasMessageContaining("ciphertrail keys create");
        try (KmsAdmin admin = KmsConfig.admin(KmsFixture.local(dir))) {
            assertThat(admin.list()).isEmpty();
        }
    }

    @Test
    void aMissingKeyStoreIsAnErrorNamingThePathAndTheFixNeverAnEmptyStore() throws Exception {
        Map<String, Object> configs = KmsFixture.localSettings(dir);
        Path store = dir.resolve("keks.p12");
        for (var open : List.<java.util.function.Supplier<AutoCloseable>>of(() -> KmsConfig.kms(configs), () -> KmsConfig.admin(configs))) {
            assertThatThrownBy(open::get).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(LocalKmsProvider.KEYSTORE_PATH_CONFIG).hasMessageContaining(store.toString())
                    .hasMessageContaining("restore it").hasMessageContaining("ciphertrail keys init");
        }
        assertThat(store).doesNotExist();

        assertThat(KmsConfig.initialize(configs)).isEqualTo(store.toAbsolutePath().toString());
        assertThat(SecureFiles.isOwnerOnly(store)).isTrue();
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            admin.create("ciphertrail/topic/orders");
        }
        byte[] withKey = Files.readAllBytes(store);
        assertThatThrownBy(() -> KmsConfig.initialize(configs)).hasMessageContaining("already exists").hasMessageContaining("left as it is");
        assertThat(Files.readAllBytes(store)).isEqualTo(withKey);

        Map<String, Object> token = KmsFixture.pkcs11();
        assertThatThrownBy(() -> KmsConfig.initialize(token)).hasMessageContaining("softhsm2-util --init-token");
    }

    @Test
    void wrappedKeysCarryTheKeksCheckValueAndVersionOneWrappedKeysStillUnwrap() throws Exception {
        Map<String, Object> configs = KmsFixture.local(dir);
        KekRef ref;
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            ref = admin.create("ciphertrail/topic/orders");
        }
        KeyStore file = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(dir.resolve("keks.p12"))) {
            file.load(in, KmsFixture.SECRET.toCharArray());
        }
        SecretKey kek = (SecretKey) file.getKey(KekStore.entry(ref.alias(), ref.version()), KmsFixture.SECRET.toCharArray());
        Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
        ecb.init(Cipher.ENCRYPT_MODE, kek);
        byte[] checkValue = Arrays.copyOf(ecb.doFinal("ciphertrail-kcv1".getBytes(StandardCharsets.US_ASCII)), 8);

        try (Kms kms = KmsConfig.kms(configs)) {
            // Format 3, written: the data key derived from a random nonce, built here from docs/wire-format.md.
            GeneratedDek generated = kms.generateDek(ref).toCompletableFuture().join();
            byte[] derived = generated.edek().wrapped();
            assertThat(derived).hasSize(19);
            assertThat(derived[0]).isEqualTo((byte) 3);
            assertThat(Arrays.copyOfRange(derived, 1, 5)).isEqualTo(Arrays.copyOf(checkValue, 4));
            byte[] blocks = new byte[32];
            for (int block = 0; block < 2; block++) {
                System.arraycopy(derived, 5, blocks, 16 * block, 14);
                blocks[16 * block + 14] = 0x44;
                blocks[16 * block + 15] = (byte) (3 + block);
            }
            assertThat(generated.dek().copyMaterial()).isEqualTo(ecb.doFinal(blocks));
            assertThat(kms.unwrap(generated.edek()).toCompletableFuture().join().copyMaterial()).isEqualTo(generated.dek().copyMaterial());
            assertThat(kms.generateDek(ref).toCompletableFuture().join().edek().wrapped()).as("a fresh nonce each time").isNotEqualTo(derived);
            // Another nonce is another data key (the record's tag then fails); another check value is another KEK.
            byte[] otherNonce = derived.clone();
            otherNonce[10] ^= 1;
            assertThat(kms.unwrap(new Edek(ref, otherNonce)).toCompletableFuture().join().copyMaterial())
                    .isNotEqualTo(generated.dek().copyMaterial());
            byte[] otherCheck = derived.clone();
            otherCheck[2] ^= 1;
            assertThatThrownBy(() -> kms.unwrap(new Edek(ref, otherCheck)).toCompletableFuture().join())
                    .hasCauseInstanceOf(KekMismatchException.class);

            // Format 2, for writers that still serve readers of earlier releases.
            generated = kms.generateDekForEarlierReaders(ref).toCompletableFuture().join();
            byte[] wrapped = generated.edek().wrapped();
            assertThat(wrapped).hasSize(69);
            assertThat(wrapped[0]).isEqualTo((byte) 2);
            assertThat(Arrays.copyOfRange(wrapped, 1, 9)).isEqualTo(checkValue);
            assertThat(kms.unwrap(generated.edek()).toCompletableFuture().join().copyMaterial()).isEqualTo(generated.dek().copyMaterial());

            // Version 1 (60 bytes, no check value) as wrapped before check values existed, built from docs/wire-format.md.
            byte[] dek = new byte[32];
            new java.security.SecureRandom().nextBytes(dek);
            byte[] iv = new byte[12];
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(128, iv));
            gcm.updateAAD(("ciphertrail edek v1\0" + ref.alias() + "\0" + ref.version()).getBytes(StandardCharsets.UTF_8));
            byte[] legacy = ByteBuffer.allocate(60).put(iv).put(gcm.doFinal(dek)).array();
            assertThat(kms.unwrap(new Edek(ref, legacy)).toCompletableFuture().join().copyMaterial()).isEqualTo(dek);

            // An altered wrapped key under the right KEK is an altered key, not another KEK.
            byte[] editedKey = wrapped.clone();
            editedKey[30] ^= 1;
            assertThatThrownBy(() -> kms.unwrap(new Edek(ref, editedKey)).toCompletableFuture().join())
                    .hasCauseInstanceOf(InvalidWrappedKeyException.class);
        }
    }

    @Test
    void anotherKeyUnderTheSameAliasAndVersionIsAMismatchNotTampering(@TempDir Path otherDir) {
        Map<String, Object> original = KmsFixture.local(dir);
        Map<String, Object> replacement = KmsFixture.local(otherDir);
        KekRef ref = new KekRef("ciphertrail/topic/orders", 1);
        for (Map<String, Object> configs : List.of(original, replacement)) {
            try (KmsAdmin admin = KmsConfig.admin(configs)) {
                admin.create(ref.alias());
            }
        }
        try (Kms kms = KmsConfig.kms(original); Kms other = KmsConfig.kms(replacement)) {
            Edek edek = kms.generateDek(ref).toCompletableFuture().join().edek();
            assertThatThrownBy(() -> other.unwrap(edek).toCompletableFuture().join())
                    .hasCauseInstanceOf(KekMismatchException.class)
                    .hasMessageContaining("holds another key under " + ref).hasMessageContaining("restore the key store");
        }
    }

    @Test
    void tokenKeksHaveCheckValuesComputedInTheToken() {
        Map<String, Object> configs = KmsFixture.pkcs11();
        KekRef first;
        KekRef second;
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            first = admin.create("ciphertrail/topic/kcv-" + UUID.randomUUID());
            second = admin.create("ciphertrail/topic/kcv-" + UUID.randomUUID());
        }
        try (Kms kms = KmsConfig.kms(configs)) {
            byte[] a1 = kms.generateDek(first).toCompletableFuture().join().edek().wrapped();
            byte[] a2 = kms.generateDek(first).toCompletableFuture().join().edek().wrapped();
            byte[] b = kms.generateDek(second).toCompletableFuture().join().edek().wrapped();
            assertThat(a1).hasSize(19);
            assertThat(Arrays.copyOfRange(a1, 1, 5)).isEqualTo(Arrays.copyOfRange(a2, 1, 5)).isNotEqualTo(Arrays.copyOfRange(b, 1, 5));
            assertThat(kms.unwrap(new Edek(first, a1)).toCompletableFuture().join().isDestroyed()).isFalse();
            byte[] c1 = kms.generateDekForEarlierReaders(first).toCompletableFuture().join().edek().wrapped();
            assertThat(c1).hasSize(69);
            assertThat(Arrays.copyOfRange(c1, 1, 5)).isEqualTo(Arrays.copyOfRange(a1, 1, 5));
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
