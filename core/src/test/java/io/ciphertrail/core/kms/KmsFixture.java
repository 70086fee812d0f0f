package io.ciphertrail.core.kms;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.core.kms.pkcs11.Pkcs11KmsProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Real KMS set-ups for tests: a local key store file, or a fresh SoftHSM2 token. */
public final class KmsFixture {
    /** A secret that must never appear in logs, messages or toString output. */
    public static final String SECRET = "pw-ZQX81-never-logged";
    private static final String SOFTHSM_UTIL = "/usr/bin/softhsm2-util";
    private static final String SOFTHSM_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";
    private static Map<String, Object> pkcs11;

    private KmsFixture() {
    }

    /**
     * Settings for a local KMS whose key store lives in {@code dir} (created empty, as {@code keys init} does, if
     * there is none yet); the password comes from an owner-only file.
     */
    public static Map<String, Object> local(Path dir) {
        Map<String, Object> configs = localSettings(dir);
        if (!Files.exists(dir.resolve("keks.p12"))) {
            KmsConfig.initialize(configs);
        }
        return configs;
    }

    /**
     * Settings for a local KMS in {@code dir} whose key store holds exactly {@code keks}: known key material under
     * each alias and version, so that records written elsewhere under the same keys (test vectors, records of earlier
     * releases) can be read back through the KMS.
     */
    public static Map<String, Object> localWithKeks(Path dir, Map<KekRef, byte[]> keks) {
        Map<String, Object> configs = local(dir);
        Path file = dir.resolve("keks.p12");
        char[] password = SECRET.toCharArray();
        try {
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(file)) {
                store.load(in, password);
            }
            for (Map.Entry<KekRef, byte[]> kek : keks.entrySet()) {
                store.setEntry(KekStore.entry(kek.getKey().alias(), kek.getKey().version()),
                        new java.security.KeyStore.SecretKeyEntry(new javax.crypto.spec.SecretKeySpec(kek.getValue(), "AES")),
                        new java.security.KeyStore.PasswordProtection(password));
            }
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            store.store(out, password);
            SecureFiles.writeOwnerOnly(file, out.toByteArray());
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("Cannot write the test key store " + file + ": " + e.getMessage(), e);
        }
        return configs;
    }

    /** Settings for a local KMS in {@code dir}, without creating its key store. */
    public static Map<String, Object> localSettings(Path dir) {
        Path passwordFile = dir.resolve("kms-password");
        if (!Files.exists(passwordFile)) {
            SecureFiles.writeOwnerOnly(passwordFile, (SECRET + "\n").getBytes(StandardCharsets.UTF_8));
        }
        Map<String, Object> configs = new HashMap<>();
        configs.put(KmsConfig.TYPE_CONFIG, "local");
        configs.put(LocalKmsProvider.KEYSTORE_PATH_CONFIG, dir.resolve("keks.p12").toString());
        configs.put(LocalKmsProvider.PASSWORD_FILE_CONFIG, passwordFile.toString());
        return configs;
    }

    /**
     * Settings for a PKCS#11 KMS on a SoftHSM2 token initialized once per test JVM under
     * {@code target/softhsm}. Skips when SoftHSM2 is not installed, unless {@code CI=true}, where it fails.
     */
    public static synchronized Map<String, Object> pkcs11() {
        if (pkcs11 == null) {
            pkcs11 = initToken();
        }
        return new HashMap<>(pkcs11);
    }

    private static Map<String, Object> initToken() {
        boolean installed = Files.isExecutable(Path.of(SOFTHSM_UTIL)) && Files.exists(Path.of(SOFTHSM_LIBRARY));
        if (!installed) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException("SoftHSM2 is required in CI for the PKCS#11 tests: apt-get install softhsm2");
            }
            Assumptions.abort("SoftHSM2 is not installed (apt-get install softhsm2); PKCS#11 tests skipped");
        }
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null) {
            throw new IllegalStateException("SOFTHSM2_CONF is not set for this JVM; run the tests through Maven (core/pom.xml sets it)");
        }
        try {
            Path confFile = Path.of(conf);
            Path tokens = confFile.resolveSibling("tokens");
            deleteRecursively(tokens);
            Files.createDirectories(tokens);
            Files.writeString(confFile, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
            Process init = new ProcessBuilder(SOFTHSM_UTIL, "--init-token", "--free", "--label", "ciphertrail-test",
                    "--pin", SECRET, "--so-pin", SECRET + "-so").redirectErrorStream(true).start();
            String output = new String(init.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!init.waitFor(60, TimeUnit.SECONDS) || init.exitValue() != 0) {
                throw new IllegalStateException("softhsm2-util --init-token failed: " + output);
            }
            Path pinFile = confFile.resolveSibling("pin");
            SecureFiles.writeOwnerOnly(pinFile, SECRET.getBytes(StandardCharsets.UTF_8));
            Map<String, Object> configs = new HashMap<>();
            configs.put(KmsConfig.TYPE_CONFIG, "pkcs11");
            configs.put(Pkcs11KmsProvider.LIBRARY_CONFIG, SOFTHSM_LIBRARY);
            configs.put(Pkcs11KmsProvider.PIN_FILE_CONFIG, pinFile.toString());
            return configs;
        } catch (IOException e) {
            throw new IllegalStateException("Cannot prepare the SoftHSM2 token: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (Files.exists(path)) {
            try (var walk = Files.walk(path)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
