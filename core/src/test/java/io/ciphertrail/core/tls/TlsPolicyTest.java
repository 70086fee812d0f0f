package io.ciphertrail.core.tls;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;

class TlsPolicyTest {

    private static Map<String, Object> secure() {
        Map<String, Object> configs = new HashMap<>();
        configs.put("bootstrap.servers", "localhost:9093");
        configs.put("security.protocol", "SSL");
        configs.put("ssl.keystore.location", "/etc/svc/keystore.p12");
        configs.put("ssl.keystore.password", "ks-XYZZY-1");
        configs.put("ssl.truststore.location", "/etc/svc/truststore.p12");
        configs.put("ssl.truststore.password", "ts-XYZZY-2");
        return configs;
    }

    private static void assertRefused(Map<String, Object> configs, String setting, String fix) {
        assertThatThrownBy(() -> TlsPolicy.requireSecureClient(configs))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("configuration " + setting)
                .hasMessageContaining(fix)
                .hasMessageNotContaining("XYZZY");
    }

    @Test
    void secureConfigurationPasses() {
        assertThatCode(() -> TlsPolicy.requireSecureClient(secure())).doesNotThrowAnyException();
        Map<String, Object> explicit = secure();
        explicit.put("ssl.enabled.protocols", List.of("TLSv1.3"));
        explicit.put("ssl.cipher.suites", "TLS_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
        explicit.put("ssl.keystore.password", new Password("ks-XYZZY-1"));
        explicit.put("ssl.engine.factory.class", ReloadingSslEngineFactory.class);
        assertThatCode(() -> TlsPolicy.requireSecureClient(explicit)).doesNotThrowAnyException();
    }

    @Test
    void plaintextAndSaslPlaintextAreRefused() {
        Map<String, Object> configs = secure();
        configs.remove("security.protocol");
        assertRefused(configs, "security.protocol", "Set security.protocol=SSL (or SASL_SSL)");
        configs.put("security.protocol", "SASL_PLAINTEXT");
        assertRefused(configs, "security.protocol", "travel in clear");
    }

    @Test
    void hostnameVerificationMustStayOn() {
        Map<String, Object> configs = secure();
        configs.put("ssl.endpoint.identification.algorithm", "");
        assertRefused(configs, "ssl.endpoint.identification.algorithm", "Set ssl.endpoint.identification.algorithm=https");
    }

    @Test
    void oldProtocolVersionsAreRefused() {
        Map<String, Object> configs = secure();
        configs.put("ssl.enabled.protocols", "TLSv1.2,TLSv1.1");
        assertRefused(configs, "ssl.enabled.protocols", "only TLSv1.3 and TLSv1.2 are allowed");
        configs = secure();
        configs.put("ssl.protocol", "SSLv3");
        assertRefused(configs, "ssl.protocol", "Set ssl.protocol=TLSv1.3");
    }

    @Test
    void cipherSuitesWithoutForwardSecrecyAreRefused() {
        Map<String, Object> configs = secure();
        configs.put("ssl.cipher.suites", List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"));
        assertRefused(configs, "ssl.cipher.suites", "not forward secret");
        configs.put("ssl.cipher.suites", "TLS_ECDHE_RSA_WITH_NULL_SHA");
        assertRefused(configs, "ssl.cipher.suites", "TLS_ECDHE_RSA_WITH_NULL_SHA");
        configs.put("ssl.cipher.suites", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
        assertRefused(configs, "ssl.cipher.suites", "authenticated encryption");
    }

    @Test
    void enginesEnableOnlyForwardSecretAuthenticatedEncryptionSuitesEvenByDefault() {
        String[] jdkDefaults = {"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"};
        org.assertj.core.api.Assertions.assertThat(TlsPolicy.strongSuitesOnly(jdkDefaults)).containsExactly("TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
    }

    @Test
    void missingTrustMaterialOrATrustAllHookIsRefused() {
        Map<String, Object> configs = secure();
        configs.remove("ssl.truststore.location");
        assertRefused(configs, "ssl.truststore.location", "to your cluster's CA");

        configs = secure();
        configs.put("ssl.engine.factory.class", "com.example.TrustEverythingFactory");
        assertRefused(configs, "ssl.engine.factory.class", "could trust any certificate");

        configs = secure();
        configs.put("ssl.trustmanager.algorithm", "TrustAll");
        assertRefused(configs, "ssl.trustmanager.algorithm", "Remove the setting");
    }

    @Test
    void jvmWideSecurityProvidersAndUnlistedTlsProvidersAreRefused() {
        Map<String, Object> configs = secure();
        configs.put("security.providers", "com.example.TrustEverythingProviderCreator");
        assertRefused(configs, "security.providers", "installs security providers into the whole JVM");

        configs = secure();
        configs.put("ssl.provider", "BC");
        assertRefused(configs, "ssl.provider", "only [SunJSSE] is allowed");
        configs.put("ssl.provider", "SunJSSE");
        Map<String, Object> allowed = configs;
        assertThatCode(() -> TlsPolicy.requireSecureClient(allowed)).doesNotThrowAnyException();
        assertThatThrownBy(() -> TlsPolicy.requireSecureEngineSettings(Map.of("security.providers", "x", "ssl.truststore.location", "t")))
                .hasMessageContaining("security.providers");
    }

    @Test
    void everyClientOverrideAStreamsOrToolConfigurationCarriesIsChecked() {
        for (String prefix : List.of("producer.", "consumer.", "admin.", "main.consumer.", "restore.consumer.", "global.consumer.")) {
            Map<String, Object> plaintext = secure();
            plaintext.put(prefix + "security.protocol", "PLAINTEXT");
            assertRefused(plaintext, prefix + "security.protocol", "travel in clear");

            Map<String, Object> noVerification = secure();
            noVerification.put(prefix + "ssl.endpoint.identification.algorithm", "");
            assertRefused(noVerification, prefix + "ssl.endpoint.identification.algorithm", "host name verification is off");

            Map<String, Object> provider = secure();
            provider.put(prefix + "security.providers", "com.example.Evil");
            assertRefused(provider, prefix + "security.providers", "whole JVM");

            Map<String, Object> trustAll = secure();
            trustAll.put(prefix + "ssl.engine.factory.class", "com.example.TrustEverythingFactory");
            assertRefused(trustAll, prefix + "ssl.engine.factory.class", "could trust any certificate");
        }
        // main.consumer. inherits consumer.: a weakness set for all consumers is named where it was set.
        Map<String, Object> inherited = secure();
        inherited.put("consumer.ssl.truststore.location", "");
        inherited.put("main.consumer.fetch.max.bytes", "1024");
        assertRefused(inherited, "consumer.ssl.truststore.location", "to your cluster's CA");
        // ...and a consumer.-wide weakness fixed for one consumer still fails for the others.
        Map<String, Object> fixedForOne = secure();
        fixedForOne.put("consumer.security.protocol", "PLAINTEXT");
        fixedForOne.put("main.consumer.security.protocol", "SSL");
        assertRefused(fixedForOne, "consumer.security.protocol", "travel in clear");
        Map<String, Object> fine = secure();
        fine.put("producer.linger.ms", "5");
        fine.put("main.consumer.max.poll.records", "10");
        assertThatCode(() -> TlsPolicy.requireSecureClient(fine)).doesNotThrowAnyException();
    }

    @Test
    void clientCertificateIsRequiredUnlessExplicitlyRelaxed() {
        Map<String, Object> configs = secure();
        configs.remove("ssl.keystore.location");
        assertRefused(configs, "ssl.keystore.location", "mutual TLS");

        configs.put("security.protocol", "SASL_SSL");
        assertRefused(configs, "ssl.keystore.location", TlsConfig.CLIENT_CERTIFICATE_REQUIRED_CONFIG + "=false");

        configs.put(TlsConfig.CLIENT_CERTIFICATE_REQUIRED_CONFIG, "false");
        assertThatCode(() -> TlsPolicy.requireSecureClient(configs)).doesNotThrowAnyException();
    }

    @Test
    void forwardSecrecyClassification() {
        org.assertj.core.api.Assertions.assertThat(TlsPolicy.isForwardSecret("TLS_CHACHA20_POLY1305_SHA256")).isTrue();
        org.assertj.core.api.Assertions.assertThat(TlsPolicy.isForwardSecret("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384")).isTrue();
        org.assertj.core.api.Assertions.assertThat(TlsPolicy.isForwardSecret("TLS_ECDH_anon_WITH_AES_128_CBC_SHA")).isFalse();
        org.assertj.core.api.Assertions.assertThat(TlsPolicy.isForwardSecret("TLS_ECDHE_RSA_WITH_RC4_128_SHA")).isFalse();
        org.assertj.core.api.Assertions.assertThat(TlsPolicy.isForwardSecret("SSL_RSA_WITH_3DES_EDE_CBC_SHA")).isFalse();
    }
}
