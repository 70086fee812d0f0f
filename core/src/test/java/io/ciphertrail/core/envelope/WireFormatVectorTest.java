package io.ciphertrail.core.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsFixture;
import io.ciphertrail.core.trace.TraceContext;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test vectors of docs/wire-format.md must equal what the implementation produces, decrypt through it, and stand
 * on the page. Version 1 vectors are also rebuilt here from the specification alone (header bytes assembled by hand,
 * encrypted with plain JCA AES-GCM); the others were computed by an independent implementation written from the page,
 * {@code core/src/test/python/wire_format_vectors.py} (Python, the {@code cryptography} package), which wrote the JSON
 * files read here. Version 2 envelopes, delete proofs and record keys are decrypted through a real KMS holding the
 * vectors' KEKs, so the wrapped keys of the built-in providers are checked on the way.
 */
class WireFormatVectorTest {
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    @Test
    void everyVectorMatchesSpecificationImplementationAndDocs() throws Exception {
        JsonNode vectors = vectors("envelope-v1.json");
        String docs = docs();
        assertThat(vectors.size()).isGreaterThanOrEqualTo(3);
        for (JsonNode vector : vectors) {
            String name = vector.get("name").asText();
            byte[] expected = HEX.parseHex(vector.get("envelope").asText());

            byte[] fromSpec = fromSpecification(vector);
            assertThat(HEX.formatHex(fromSpec)).as("%s built from the specification", name).isEqualTo(HEX.formatHex(expected));
            assertThat(HEX.formatHex(fromImplementation(vector))).as("%s built by the implementation", name).isEqualTo(HEX.formatHex(expected));
            assertThat(decrypted(vector, expected)).as("%s decrypted", name).isEqualTo(utf8(vector, "plaintext"));
            assertThat(docs).as("docs/wire-format.md shows vector %s", name).contains(vector.get("envelope").asText());
        }
    }

    @Test
    void deleteProofVectorMatchesSpecificationImplementationAndDocs() throws Exception {
        JsonNode vectors = vectors("delete-proof-v1.json");
        String docs = docs();
        for (JsonNode v : vectors) {
            String name = v.get("name").asText();
            byte[] expected = HEX.parseHex(v.get("proof").asText());
            byte[] key = utf8(v, "recordKey");

            ByteArrayOutputStream header = new ByteArrayOutputStream();
            header.writeBytes(new byte[] {(byte) 0xC7, 0x44, 1, 3});
            lengthPrefixed(header, utf8(v, "topic"));
            lengthPrefixed(header, utf8(v, "kekAlias"));
            header.writeBytes(ByteBuffer.allocate(4).putInt(v.get("kekVersion").asInt()).array());
            lengthPrefixed(header, HEX.parseHex(v.get("edek").asText()));
            header.writeBytes(HEX.parseHex(v.get("traceId").asText()));
            header.writeBytes(MessageDigest.getInstance("SHA-256").digest(key));
            byte[] iv = HEX.parseHex(v.get("iv").asText());
            header.writeBytes(iv);
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(HEX.parseHex(v.get("dek").asText()), "AES"), new GCMParameterSpec(128, iv));
            gcm.updateAAD(header.toByteArray());
            header.writeBytes(gcm.doFinal());
            assertThat(HEX.formatHex(header.toByteArray())).as("%s built from the specification", name).isEqualTo(HEX.formatHex(expected));

            byte[] implemented = DeleteProofV1.seal(EnvelopeEncryptor.newGcm(), new SecretKeySpec(HEX.parseHex(v.get("dek").asText()), "AES"),
                    BindingV1.keySection(v.get("topic").asText(), edek(v)), HEX.parseHex(v.get("traceId").asText()),
                    DeleteProof.keyDigest(key), iv);
            assertThat(HEX.formatHex(implemented)).as("%s built by the implementation", name).isEqualTo(HEX.formatHex(expected));

            Headers headers = headers(v);
            headers.add(DeleteProof.HEADER, expected);
            Map<String, Object> configs = KmsFixture.local(dir);
            DekCache cache = new DekCache(10, 60_000, Clock.systemUTC());
            cache.put(edek(v), Dek.adopt(HEX.parseHex(v.get("dek").asText())));
            try (var kms = KmsConfig.kms(configs);
                 EnvelopeDecryptor decryptor = new EnvelopeDecryptor(kms, new EnvelopeConfig(configs), cache, CryptoListener.NONE, Clock.systemUTC())) {
                assertThat(decryptor.decrypt(v.get("topic").asText(), headers, key, null)).as("%s verified", name).isNull();
            }
            assertThat(docs).as("docs/wire-format.md shows vector %s", name).contains(v.get("proof").asText());
        }
    }

    @Test
    void wrappedDataKeysOfTheBuiltInProvidersUnwrapToTheirVectors() throws Exception {
        String docs = docs();
        for (JsonNode v : vectors("wrapped-keys.json")) {
            String name = v.get("name").asText();
            KekRef kek = new KekRef(v.get("kekAlias").asText(), v.get("kekVersion").asInt());
            byte[] wrapped = HEX.parseHex(v.get("wrapped").asText());
            try (Kms kms = KmsConfig.kms(KmsFixture.localWithKeks(dir.resolve(name), Map.of(kek, HEX.parseHex(v.get("kek").asText()))))) {
                assertThat(HEX.formatHex(kms.unwrap(new Edek(kek, wrapped)).toCompletableFuture().join().copyMaterial()))
                        .as("%s unwrapped", name).isEqualTo(v.get("dek").asText());
            }
            if (v.has("checkValue")) {
                int length = wrapped[0] == 3 ? 4 : 8;
                assertThat(HEX.formatHex(Arrays.copyOfRange(wrapped, 1, 1 + length))).as("%s check value", name)
                        .isEqualTo(v.get("checkValue").asText().substring(0, 2 * length));
                assertThat(docs).as("docs/wire-format.md shows the check value of %s", name).contains(v.get("checkValue").asText());
            }
            assertThat(docs).as("docs/wire-format.md shows vector %s", name).contains(v.get("wrapped").asText());
        }
    }

    @Test
    void version2EnvelopesMatchTheirVectorsAndDecryptThroughTheKms() throws Exception {
        String docs = docs();
        for (JsonNode v : vectors("envelope-v2.json")) {
            String name = v.get("name").asText();
            TopicBinding topic = new TopicBinding(v.get("topic").asText(), v.get("kekAlias").asText());
            Edek edek = new Edek(new KekRef(topic.kekAlias(), v.get("kekVersion").asInt()), HEX.parseHex(v.get("edek").asText()));
            List<String> names = names(v);
            Headers headers = headers(v);
            String headerName = v.get("headerName").isNull() ? null : v.get("headerName").asText();
            byte[] implemented = EnvelopeV2.seal(EnvelopeEncryptor.newGcm(), new SecretKeySpec(HEX.parseHex(v.get("dek").asText()), "AES"),
                    BindingV2.keySection(topic, edek), topic, TraceContext.binary(headers), names,
                    names.isEmpty() ? null : ProtectedHeaders.digest(names, headers), headerName, v.get("counter").asLong(),
                    utf8(v, "plaintext"));
            assertThat(HEX.formatHex(implemented)).as("%s built by the implementation", name).isEqualTo(v.get("envelope").asText());

            try (Reader reader = reader(name, v, headerName)) {
                byte[] plaintext = reader.read(topic.topic(), headers(v), HEX.parseHex(v.get("envelope").asText()), headerName);
                assertThat(plaintext).as("%s decrypted", name).isEqualTo(utf8(v, "plaintext"));
            }
            assertThat(docs).as("docs/wire-format.md shows vector %s", name).contains(v.get("envelope").asText());
        }
    }

    @Test
    void version2RejectionVectorsFailWithTheReasonThePageGives() throws Exception {
        String docs = docs();
        Map<String, JsonNode> bases = new HashMap<>();
        vectors("envelope-v2.json").forEach(v -> bases.put(v.get("name").asText(), v));
        JsonNode rejections = vectors("envelope-v2-rejections.json");
        assertThat(rejections.size()).isGreaterThanOrEqualTo(20);
        for (JsonNode r : rejections) {
            String name = r.get("name").asText();
            JsonNode base = bases.get(r.get("base").asText());
            String headerName = r.get("headerName").isNull() ? null : r.get("headerName").asText();
            try (Reader reader = reader(name, base, headerName)) {
                EnvelopeException failure = org.assertj.core.api.Assertions.catchThrowableOfType(EnvelopeException.class,
                        () -> reader.read(r.get("topic").asText(), headers(r), HEX.parseHex(r.get("envelope").asText()), headerName));
                assertThat(failure).as("%s (%s) is refused", name, r.get("change").asText()).isNotNull();
                assertThat(failure.reason()).as("%s (%s): %s", name, r.get("change").asText(), failure.getMessage())
                        .isEqualTo(EnvelopeException.Reason.valueOf(r.get("reason").asText()));
            }
            assertThat(docs).as("docs/wire-format.md shows rejection vector %s", name)
                    .contains("`" + name + "`").contains("`" + r.get("reason").asText() + "`.```" + r.get("envelope").asText() + "```");
        }
    }

    @Test
    void version2DeleteProofsMatchTheirVectorsAndVerifyThroughTheKms() throws Exception {
        String docs = docs();
        for (JsonNode v : vectors("delete-proof-v2.json")) {
            String name = v.get("name").asText();
            TopicBinding topic = new TopicBinding(v.get("topic").asText(), v.get("kekAlias").asText());
            Edek edek = new Edek(new KekRef(topic.kekAlias(), v.get("kekVersion").asInt()), HEX.parseHex(v.get("edek").asText()));
            byte[] key = utf8(v, "recordKey");
            Headers headers = headers(v);
            byte[] implemented = DeleteProofV2.seal(EnvelopeEncryptor.newGcm(), new SecretKeySpec(HEX.parseHex(v.get("dek").asText()), "AES"),
                    BindingV2.keySection(topic, edek), topic, TraceContext.binary(headers), DeleteProof.keyDigest(key), v.get("counter").asLong());
            assertThat(HEX.formatHex(implemented)).as("%s built by the implementation", name).isEqualTo(v.get("proof").asText());

            try (Reader reader = reader(name, v, null)) {
                Headers received = new RecordHeaders();
                received.add(DeleteProof.HEADER, implemented);
                assertThat(reader.decryptor().decrypt(topic.topic(), received, key, null)).as("%s verified", name).isNull();
                assertThat(TraceContext.fromHeaders(received)).as("%s gives its trace back", name).isEqualTo(TraceContext.fromHeaders(headers));
            }
            assertThat(docs).as("docs/wire-format.md shows vector %s", name).contains(v.get("proof").asText());
        }
    }

    @Test
    void recordKeysOfBothVersionsMatchTheirVectorsFromTheKek() throws Exception {
        String docs = docs();
        for (JsonNode v : vectors("record-keys.json")) {
            String name = v.get("name").asText();
            String topic = v.get("topic").asText();
            KekRef kek = new KekRef(v.get("kekAlias").asText(), v.get("kekVersion").asInt());
            int version = HEX.parseHex(v.get("encrypted").asText())[2];
            Map<String, Object> configs = new HashMap<>(KmsFixture.localWithKeks(dir.resolve(name), Map.of(kek, HEX.parseHex(v.get("kek").asText()))));
            configs.put(EnvelopeConfig.RECORD_KEY_ENCRYPTION_CONFIG, true);
            configs.put(EnvelopeConfig.RECORD_KEY_FORMAT_VERSION_CONFIG, version);
            try (Kms kms = KmsConfig.kms(configs);
                 EnvelopeEncryptor encryptor = new EnvelopeEncryptor(kms, new EnvelopeConfig(configs), new DekCache(10, 60_000, Clock.systemUTC()),
                         CryptoListener.NONE, Clock.systemUTC());
                 EnvelopeDecryptor decryptor = new EnvelopeDecryptor(kms, new EnvelopeConfig(configs), new DekCache(10, 60_000, Clock.systemUTC()),
                         CryptoListener.NONE, Clock.systemUTC())) {
                ByteArrayOutputStream derived = new ByteArrayOutputStream();
                for (String purpose : version == 2 ? List.of("record-key-siv-s2v", "record-key-siv-ctr") : List.of("record-key")) {
                    derived.writeBytes(kms.deriveKey(kek, purpose).toCompletableFuture().join().copyMaterial());
                }
                assertThat(HEX.formatHex(derived.toByteArray())).as("%s keys derived by the KMS", name).isEqualTo(v.get("key").asText());
                assertThat(HEX.formatHex(encryptor.encryptRecordKey(topic, utf8(v, "recordKey")))).as("%s encrypted", name)
                        .isEqualTo(v.get("encrypted").asText());
                assertThat(decryptor.decryptRecordKey(topic, HEX.parseHex(v.get("encrypted").asText()))).as("%s decrypted", name)
                        .isEqualTo(utf8(v, "recordKey"));
            }
            assertThat(docs).as("docs/wire-format.md shows vector %s", name).contains(v.get("encrypted").asText());
            assertThat(docs).as("docs/wire-format.md shows the keys of %s", name).contains(v.get("key").asText());
        }
    }

    /**
     * A writer and a reader over a KMS holding the KEK of {@code vector}, reading with its settings: its protected
     * headers, and {@code headerName} as an encrypted header.
     */
    private Reader reader(String name, JsonNode vector, String headerName) {
        KekRef kek = new KekRef(vector.get("kekAlias").asText(), vector.get("kekVersion").asInt());
        Map<String, Object> configs = new HashMap<>(KmsFixture.localWithKeks(dir.resolve(name), Map.of(kek, HEX.parseHex(vector.get("kek").asText()))));
        List<String> names = names(vector);
        if (!names.isEmpty()) {
            configs.put(EnvelopeConfig.PROTECTED_HEADERS_CONFIG, String.join(",", names));
        }
        if (headerName != null) {
            configs.put(EnvelopeConfig.ENCRYPTED_HEADERS_CONFIG, headerName);
        }
        Kms kms = KmsConfig.kms(configs);
        EnvelopeConfig config = new EnvelopeConfig(configs);
        return new Reader(kms, new EnvelopeEncryptor(kms, config, new DekCache(10, 60_000, Clock.systemUTC()), CryptoListener.NONE, Clock.systemUTC()),
                new EnvelopeDecryptor(kms, config, new DekCache(10, 60_000, Clock.systemUTC()), CryptoListener.NONE, Clock.systemUTC()));
    }

    private record Reader(Kms kms, EnvelopeEncryptor encryptor, EnvelopeDecryptor decryptor) implements AutoCloseable {
        /**
         * Decrypts {@code envelope} read from {@code topic} as the record value or, with a {@code headerName}, as that
         * header's value in a record whose own value is an envelope too; returns the plaintext.
         */
        byte[] read(String topic, Headers received, byte[] envelope, String headerName) {
            if (headerName == null) {
                return decryptor.decrypt(topic, received, envelope);
            }
            received.add(headerName, envelope);
            decryptor.decrypt(topic, received, encryptor.encrypt(topic, new RecordHeaders(), new byte[0]));
            return received.lastHeader(headerName).value();
        }

        @Override
        public void close() {
            decryptor.close();
            encryptor.close();
            kms.close();
        }
    }

    /** A JSON file of test vectors under {@code /vectors/}. */
    static JsonNode vectors(String file) throws Exception {
        try (InputStream in = WireFormatVectorTest.class.getResourceAsStream("/vectors/" + file)) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static String docs() throws Exception {
        return Files.readString(docsFile()).replaceAll("\\s+", "");
    }

    private static Path docsFile() {
        Path here = Path.of("").toAbsolutePath();
        Path docs = here.resolve("docs/wire-format.md");
        return Files.exists(docs) ? docs : here.getParent().resolve("docs/wire-format.md");
    }

    private static byte[] fromSpecification(JsonNode v) throws Exception {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        List<String> names = names(v);
        boolean trace = v.hasNonNull("traceId");
        header.write(0xC7);
        header.write(0x54);
        header.write(1);
        header.write((trace ? 1 : 0) | (names.isEmpty() ? 0 : 2));
        lengthPrefixed(header, utf8(v, "topic"));
        lengthPrefixed(header, utf8(v, "kekAlias"));
        header.writeBytes(ByteBuffer.allocate(4).putInt(v.get("kekVersion").asInt()).array());
        lengthPrefixed(header, HEX.parseHex(v.get("edek").asText()));
        if (trace) {
            header.writeBytes(HEX.parseHex(v.get("traceId").asText()));
        }
        if (!names.isEmpty()) {
            header.write(names.size());
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (String name : names) {
                lengthPrefixed(header, name.getBytes(StandardCharsets.UTF_8));
            }
            for (JsonNode h : v.get("protectedHeaders")) {
                byte[] nameBytes = h.get("name").asText().getBytes(StandardCharsets.UTF_8);
                sha256.update(new byte[] {(byte) (nameBytes.length >>> 8), (byte) nameBytes.length});
                sha256.update(nameBytes);
                sha256.update(ByteBuffer.allocate(4).putInt(1).array());
                byte[] value = h.get("value").asText().getBytes(StandardCharsets.UTF_8);
                sha256.update(ByteBuffer.allocate(4).putInt(value.length).array());
                sha256.update(value);
            }
            header.writeBytes(sha256.digest());
        }
        byte[] iv = HEX.parseHex(v.get("iv").asText());
        header.writeBytes(iv);
        byte[] aad = header.toByteArray();
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(HEX.parseHex(v.get("dek").asText()), "AES"), new GCMParameterSpec(128, iv));
        gcm.updateAAD(aad);
        byte[] sealed = gcm.doFinal(utf8(v, "plaintext"));
        return ByteBuffer.allocate(aad.length + sealed.length).put(aad).put(sealed).array();
    }

    private static byte[] fromImplementation(JsonNode v) throws Exception {
        List<String> names = names(v);
        Edek edek = edek(v);
        byte[] digest = names.isEmpty() ? null : ProtectedHeaders.digest(names, headers(v));
        return EnvelopeV1.seal(EnvelopeEncryptor.newGcm(), new SecretKeySpec(HEX.parseHex(v.get("dek").asText()), "AES"),
                BindingV1.keySection(v.get("topic").asText(), edek),
                v.hasNonNull("traceId") ? HEX.parseHex(v.get("traceId").asText()) : null,
                names, digest, null, HEX.parseHex(v.get("iv").asText()), utf8(v, "plaintext"));
    }

    private byte[] decrypted(JsonNode v, byte[] envelope) {
        Map<String, Object> configs = KmsFixture.local(dir);
        DekCache cache = new DekCache(10, 60_000, Clock.systemUTC());
        cache.put(edek(v), Dek.adopt(HEX.parseHex(v.get("dek").asText())));
        try (var kms = KmsConfig.kms(configs);
             EnvelopeDecryptor decryptor = new EnvelopeDecryptor(kms, new EnvelopeConfig(configs), cache, CryptoListener.NONE, Clock.systemUTC())) {
            return decryptor.decrypt(v.get("topic").asText(), headers(v), envelope);
        }
    }

    private static Headers headers(JsonNode v) {
        Headers headers = new RecordHeaders();
        if (v.hasNonNull("traceparent")) {
            headers.add("traceparent", utf8(v, "traceparent"));
        }
        if (v.hasNonNull("protectedHeaders")) {
            for (JsonNode h : v.get("protectedHeaders")) {
                headers.add(h.get("name").asText(), h.get("value").asText().getBytes(StandardCharsets.UTF_8));
            }
        }
        return headers;
    }

    private static List<String> names(JsonNode v) {
        List<String> names = new ArrayList<>();
        if (v.hasNonNull("protectedHeaders")) {
            v.get("protectedHeaders").forEach(h -> names.add(h.get("name").asText()));
        }
        return names;
    }

    private static Edek edek(JsonNode v) {
        return new Edek(new KekRef(v.get("kekAlias").asText(), v.get("kekVersion").asInt()), HEX.parseHex(v.get("edek").asText()));
    }

    private static byte[] utf8(JsonNode v, String field) {
        return v.get(field).asText().getBytes(StandardCharsets.UTF_8);
    }

    private static void lengthPrefixed(ByteArrayOutputStream out, byte[] bytes) {
        out.write(bytes.length >>> 8);
        out.write(bytes.length);
        out.writeBytes(bytes);
    }
}
