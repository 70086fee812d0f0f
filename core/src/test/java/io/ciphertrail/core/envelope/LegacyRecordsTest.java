package io.ciphertrail.core.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.KmsFixture;
import io.ciphertrail.core.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records as an earlier release wrote them (envelope version 1, wrapped data keys of format 2, delete proofs of
 * version 1, record keys of version 2), under known KEKs: each must keep decrypting through the KMS, with every
 * header, key and delete as written. The bytes in {@code vectors/legacy-v1-records.json} were produced by that
 * release's code and are never regenerated.
 */
class LegacyRecordsTest {
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    @Test
    void recordsOfEnvelopeVersion1KeepDecryptingThroughTheKms() throws Exception {
        JsonNode legacy = WireFormatVectorTest.vectors("legacy-v1-records.json");
        Map<KekRef, byte[]> keks = new HashMap<>();
        legacy.get("keks").forEach(k -> keks.put(new KekRef(k.get("alias").asText(), k.get("version").asInt()), HEX.parseHex(k.get("key").asText())));
        Map<String, Object> kmsConfigs = KmsFixture.localWithKeks(dir, keks);

        assertThat(legacy.get("records").size()).isEqualTo(6);
        for (JsonNode record : legacy.get("records")) {
            String name = record.get("name").asText();
            Map<String, Object> configs = new HashMap<>(kmsConfigs);
            record.get("settings").fields().forEachRemaining(s -> configs.put(s.getKey(), s.getValue().asText()));
            String topic = record.get("topic").asText();
            byte[] key = bytes(record, "key");
            byte[] value = bytes(record, "value");
            try (Kms kms = KmsConfig.kms(configs);
                 EnvelopeDecryptor decryptor = new EnvelopeDecryptor(kms, new EnvelopeConfig(configs),
                         new DekCache(10, 60_000, Clock.systemUTC()), CryptoListener.NONE, Clock.systemUTC())) {
                Headers headers = headers(record);
                byte[] plaintext = decryptor.decrypt(topic, headers, key, value);
                if (record.get("plaintext").isNull()) {
                    assertThat(plaintext).as(name).isNull();
                } else {
                    assertThat(new String(plaintext, StandardCharsets.UTF_8)).as(name).isEqualTo(record.get("plaintext").asText());
                }
                record.get("plainHeaders").fields().forEachRemaining(h -> assertThat(headers.lastHeader(h.getKey()).value())
                        .as("%s header %s", name, h.getKey()).isEqualTo(h.getValue().asText().getBytes(StandardCharsets.UTF_8)));
                if (!record.get("plainKey").isNull()) {
                    assertThat(decryptor.decryptRecordKey(topic, key)).as(name)
                            .isEqualTo(record.get("plainKey").asText().getBytes(StandardCharsets.UTF_8));
                }
                assertThat(headers.lastHeader(EnvelopeDecryptor.PASSTHROUGH_HEADER)).as(name).isNull();

                if (value != null) {
                    byte[] flipped = value.clone();
                    flipped[flipped.length - 1] ^= 1;
                    assertThatThrownBy(() -> decryptor.decrypt(topic, headers(record), key, flipped)).as(name)
                            .isInstanceOfSatisfying(EnvelopeException.class, e -> assertThat(e.reason()).isEqualTo(EnvelopeException.Reason.TAMPERED));
                    assertThatThrownBy(() -> decryptor.decrypt("payments", headers(record), key, value)).as(name)
                            .isInstanceOfSatisfying(EnvelopeException.class, e -> assertThat(e.reason()).isEqualTo(EnvelopeException.Reason.WRONG_TOPIC));
                }
                Headers traced = headers(record);
                if (traced.lastHeader(TraceContext.HEADER) != null && value != null) {
                    // A hop dropped the header: the trace ID bound in the version 1 envelope still identifies the record.
                    String traceId = TraceContext.fromHeaders(traced).orElseThrow().traceId();
                    Headers dropped = headers(record);
                    dropped.remove(TraceContext.HEADER);
                    decryptor.decrypt(topic, dropped, key, value);
                    assertThat(EnvelopeDecryptor.traceId(dropped, value)).as(name).contains(traceId);
                }
            }
        }
    }

    private static Headers headers(JsonNode record) {
        Headers headers = new RecordHeaders();
        record.get("headers").forEach(h -> headers.add(h.get("name").asText(), HEX.parseHex(h.get("value").asText())));
        return headers;
    }

    private static byte[] bytes(JsonNode record, String field) {
        return record.get(field).isNull() ? null : HEX.parseHex(record.get(field).asText());
    }
}
