package io.ciphertrail.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.envelope.DeleteProof;
import io.ciphertrail.core.envelope.Envelope;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import io.ciphertrail.core.envelope.EnvelopeException;
import io.ciphertrail.core.envelope.TopicBinding;
import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.local.LocalKmsProvider;
import io.ciphertrail.core.trace.TraceContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SecureSerializerTest {
    @TempDir
    Path dir;
    private Map<String, Object> configs;

    @BeforeEach
    void secureSettingsAndKeys() {
        configs = new HashMap<>();
        configs.put("bootstrap.servers", "localhost:9093");
        configs.put("security.protocol", "SSL");
        configs.put("ssl.keystore.location", dir.resolve("keystore.p12").toString());
        configs.put("ssl.keystore.password", "store-pass-1");
        configs.put("ssl.truststore.location", dir.resolve("truststore.p12").toString());
        configs.put("ssl.truststore.password", "store-pass-1");
        Path password = dir.resolve("kms-password");
        SecureFiles.writeOwnerOnly(password, "kms-pass".getBytes(StandardCharsets.UTF_8));
        configs.put(KmsConfig.TYPE_CONFIG, "local");
        configs.put(LocalKmsProvider.KEYSTORE_PATH_CONFIG, dir.resolve("keks.p12").toString());
        configs.put(LocalKmsProvider.PASSWORD_FILE_CONFIG, password.toString());
        KmsConfig.initialize(configs);
        try (KmsAdmin admin = KmsConfig.admin(configs)) {
            admin.create("ciphertrail/topic/orders");
            admin.create("ciphertrail/topic/payments");
        }
    }

    private SecureSerializer<String> valueSerializer(Object... overrides) {
        Map<String, Object> settings = new HashMap<>(configs);
        for (int i = 0; i < overrides.length; i += 2) {
            settings.put((String) overrides[i], overrides[i + 1]);
        }
        SecureSerializer<String> serializer = new SecureSerializer<>(new StringSerializer());
        serializer.configure(settings, false);
        return serializer;
    }

    @Test
    void encryptsSelectedTopicsForTheirBoundTopicAndStampsATraceOnEveryRecord() {
        try (SecureSerializer<String> serializer = valueSerializer(
                SecureProducerConfig.ENCRYPT_EXCLUDE_CONFIG, "public\\..*",
                SecureProducerConfig.BOUND_TOPICS_CONFIG, "orders.ingress:orders")) {
            Headers direct = new RecordHeaders();
            Envelope payment = Envelope.parse(serializer.serialize("payments", direct, "p"), "payments");
            assertThat(payment.binding().boundTo(new TopicBinding("payments", "ciphertrail/topic/payments"))).isTrue();
            // The trace travels in the envelope only: no traceparent header on the wire.
            assertThat(payment.binding().boundTraceId()).isPresent();
            assertThat(direct.lastHeader(TraceContext.HEADER)).isNull();

            Headers routed = new RecordHeaders();
            Envelope viaGate = Envelope.parse(serializer.serialize("orders.ingress", routed, "o"), "orders.ingress");
            assertThat(viaGate.binding().boundTo(new TopicBinding("orders", "ciphertrail/topic/orders"))).isTrue();
            assertThat(viaGate.binding().wrappedUnder(new TopicBinding("orders", "ciphertrail/topic/orders"))).isTrue();

            Headers open = new RecordHeaders();
            assertThat(serializer.serialize("public.news", open, "hello")).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
            assertThat(TraceContext.fromHeaders(open)).as("an unencrypted record carries its trace in the header").isPresent();
        }
    }

    @Test
    void theTraceparentHeaderTravelsTooWhenAskedOrWhileWritingVersion1() {
        for (Object[] settings : List.of(new Object[] {SecureProducerConfig.TRACEPARENT_HEADER_CONFIG, true},
                new Object[] {EnvelopeConfig.FORMAT_VERSION_CONFIG, 1})) {
            try (SecureSerializer<String> serializer = valueSerializer(settings)) {
                Headers headers = new RecordHeaders();
                Envelope envelope = Envelope.parse(serializer.serialize("orders", headers, "o"), "orders");
                assertThat(envelope.binding().boundTraceId()).as(settings[0].toString())
                        .isEqualTo(TraceContext.fromHeaders(headers).map(TraceContext::traceId));
                assertThat(envelope.version()).isEqualTo(settings[1].equals(1) ? 1 : 2);
            }
        }
    }

    @Test
    void keepsAnExistingTraceAndFollowsTheCurrentOpenTelemetrySpan() {
        try (SecureSerializer<String> serializer = valueSerializer()) {
            Headers traced = new RecordHeaders();
            TraceContext existing = TraceContext.newTrace();
            existing.writeTo(traced);
            byte[] first = serializer.serialize("orders", traced, "x");
            assertThat(Envelope.parse(first, "orders").binding().restoredTrace()).contains(existing);
            // Kafka Streams serializes a record once per sink with the same headers: each copy keeps the same trace.
            byte[] second = serializer.serialize("payments", traced, "x");
            assertThat(Envelope.parse(second, "payments").binding().restoredTrace()).contains(existing);

            SpanContext span = SpanContext.create("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
                    TraceFlags.getSampled(), TraceState.getDefault());
            Headers fromOtel = new RecordHeaders();
            byte[] envelope;
            try (Scope ignored = Span.wrap(span).makeCurrent()) {
                envelope = serializer.serialize("orders", fromOtel, "y");
            }
            assertThat(Envelope.parse(envelope, "orders").binding().restoredTrace())
                    .contains(new TraceContext("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "01"));
            assertThat(EnvelopeDecryptor.traceId(fromOtel, envelope)).contains("0af7651916cd43dd8448eb211c80319c");
        }
    }

    @Test
    void byClassNameTheInnerSerializerMustBeNamed() {
        Map<String, Object> settings = new HashMap<>(configs);
        SecureSerializer<String> serializer = new SecureSerializer<>();
        assertThatThrownBy(() -> serializer.configure(settings, false)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(SecureProducerConfig.VALUE_SERIALIZER_INNER_CONFIG);
        settings.put(SecureProducerConfig.VALUE_SERIALIZER_INNER_CONFIG, StringSerializer.class.getName());
        serializer.configure(settings, false);
        assertThat(Envelope.hasMagic(serializer.serialize("orders", new RecordHeaders(), "z"))).isTrue();
        serializer.close();
    }

    @Test
    void aDeleteGetsAProofBoundToItsKeyWhenTheKeySerializerIsCiphertrailsAndIsRefusedWhenItCannot() {
        SecureSerializer<String> keys = new SecureSerializer<>(new StringSerializer());
        keys.configure(configs, true);
        try (keys; SecureSerializer<String> values = valueSerializer(SecureProducerConfig.BOUND_TOPICS_CONFIG, "orders.ingress:orders")) {
            Headers headers = new RecordHeaders();
            byte[] key = keys.serialize("orders.ingress", headers, "customer-42");
            assertThat(values.serialize("orders.ingress", headers, null)).isNull();
            DeleteProof proof = DeleteProof.parse(headers.lastHeader(DeleteProof.HEADER).value(), "orders.ingress");
            assertThat(proof.binding().boundTo(new TopicBinding("orders", "ciphertrail/topic/orders"))).isTrue();
            assertThat(proof.boundTo(key)).isTrue();
            assertThat(proof.binding().boundTraceId()).isPresent();
            assertThat(headers.lastHeader(TraceContext.HEADER)).as("the proof carries the trace").isNull();

            // The key serializer saw other headers (another record): this delete's key is unknown, so no proof can be made.
            keys.serialize("orders.ingress", new RecordHeaders(), "customer-43");
            assertThatThrownBy(() -> values.serialize("orders.ingress", new RecordHeaders(), null))
                    .isInstanceOfSatisfying(EnvelopeException.class, e -> {
                        assertThat(e.reason()).isEqualTo(EnvelopeException.Reason.UNAUTHENTICATED_DELETE);
                        assertThat(e.getMessage()).contains("Use SecureSerializer for keys too")
                                .contains(EnvelopeConfig.PLAIN_DELETES_TOPICS_CONFIG);
                    });
        }
        try (SecureSerializer<String> migrating = valueSerializer(EnvelopeConfig.PLAIN_DELETES_TOPICS_CONFIG, "legacy\\..*")) {
            Headers headers = new RecordHeaders();
            assertThat(migrating.serialize("legacy.orders", headers, null)).isNull();
            assertThat(headers.lastHeader(DeleteProof.HEADER)).isNull();
            assertThat(TraceContext.fromHeaders(headers)).as("a plain delete keeps its trace in the header").isPresent();
        }
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "security.protocol|PLAINTEXT|Set security.protocol=SSL",
        "security.protocol|SASL_PLAINTEXT|travel in clear",
        "ssl.endpoint.identification.algorithm|''|Set ssl.endpoint.identification.algorithm=https",
        "ssl.enabled.protocols|TLSv1.2,TLSv1.1|only TLSv1.3 and TLSv1.2 are allowed",
        "ssl.cipher.suites|TLS_RSA_WITH_AES_128_GCM_SHA256|not forward secret",
        "ssl.truststore.location|''|Set ssl.truststore.location",
        "ssl.keystore.location|''|mutual TLS",
        "ssl.engine.factory.class|com.example.TrustAll|could trust any certificate",
        "ssl.provider|BC|only [SunJSSE] is allowed",
        "security.providers|com.example.TrustAllProviderCreator|installs security providers into the whole JVM",
        "acks|1|ciphertrail.producer.weak.durability.allowed=true",
        "enable.idempotence|false|retried sends can write a record twice"})
    void eachInsecureSettingIsRefusedWithItsOwnMessage(String setting, String value, String message) {
        Map<String, Object> settings = new HashMap<>(configs);
        settings.put(setting, value);
        assertThatThrownBy(() -> new SecureProducer<>(settings, new StringSerializer(), new StringSerializer()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(setting)
                .hasMessageContaining(message)
                .hasMessageNotContaining("store-pass-1");
    }
}
