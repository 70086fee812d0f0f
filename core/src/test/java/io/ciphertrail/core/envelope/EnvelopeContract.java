package io.ciphertrail.core.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ciphertrail.core.envelope.CryptoListener.KmsOperation;
import io.ciphertrail.core.envelope.EnvelopeException.Reason;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every KMS provider must give the envelope layer, in the envelope version writers write. Subclasses supply a
 * real KMS (a key store file, a SoftHSM2 token) and the version (2, the default; 1 for writers that still serve
 * readers of earlier releases); every test uses its own topic, so tests share a token safely.
 */
abstract class EnvelopeContract {
    private final List<AutoCloseable> toClose = new ArrayList<>();
    protected String topic;
    protected KmsAdmin admin;
    private final MutableClock clock = new MutableClock();

    /** Settings of the KMS under test. */
    protected abstract Map<String, Object> kmsConfigs();

    /** The envelope version the writers under test write ({@code ciphertrail.envelope.format.version}). */
    protected int formatVersion() {
        return 2;
    }

    /** What {@code topic}'s records are bound to under the default alias template. */
    protected static TopicBinding binding(String topic) {
        return new TopicBinding(topic, "ciphertrail/topic/" + topic);
    }

    @BeforeEach
    void createTopicKey() {
        topic = "orders-" + UUID.randomUUID().toString().substring(0, 8);
        admin = closeLater(KmsConfig.admin(kmsConfigs()));
        admin.create("ciphertrail/topic/" + topic);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    protected <T extends AutoCloseable> T closeLater(T closeable) {
        toClose.add(0, closeable);
        return closeable;
    }

    private Map<String, Object> configs(Object... overrides) {
        Map<String, Object> configs = new HashMap<>(kmsConfigs());
        configs.put(EnvelopeConfig.FORMAT_VERSION_CONFIG, formatVersion());
        for (int i = 0; i < overrides.length; i += 2) {
            configs.put((String) overrides[i], overrides[i + 1]);
        }
        return configs;
    }

    protected EnvelopeEncryptor encryptor(CryptoListener listener, Clock clock, Object... overrides) {
        Map<String, Object> configs = configs(overrides);
        Kms kms = closeLater(KmsConfig.kms(configs));
        return closeLater(new EnvelopeEncryptor(kms, new EnvelopeConfig(configs), new DekCache(100, 3_600_000, clock), listener, clock));
    }

    protected EnvelopeEncryptor encryptor(Object... overrides) {
        return encryptor(CryptoListener.NONE, Clock.systemUTC(), overrides);
    }

    /** A decryptor with its own cache, as in a separate consumer process. */
    protected EnvelopeDecryptor decryptor(CryptoListener listener, Object... overrides) {
        Map<String, Object> configs = configs(overrides);
        Kms kms = closeLater(KmsConfig.kms(configs));
        return closeLater(new EnvelopeDecryptor(kms, new EnvelopeConfig(configs), new DekCache(100, 3_600_000, Clock.systemUTC()),
                listener, Clock.systemUTC()));
    }

    protected EnvelopeDecryptor decryptor(Object... overrides) {
        return decryptor(CryptoListener.NONE, overrides);
    }

    protected EnvelopeDecryptor decryptor(CryptoListener listener, Clock clock, Object... overrides) {
        Map<String, Object> configs = configs(overrides);
        Kms kms = closeLater(KmsConfig.kms(configs));
        return closeLater(new EnvelopeDecryptor(kms, new EnvelopeConfig(configs), new DekCache(100, 3_600_000, clock), listener, clock));
    }

    static Headers tracedHeaders() {
        Headers headers = new RecordHeaders();
        TraceContext.newTrace().writeTo(headers);
        return headers;
    }

    static byte[] bytes(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, 1024, 16 * 1024, 256 * 1024, 1024 * 1024})
    void roundTripsEverySize(int size) {
        byte[] plaintext = bytes(size);
        Headers headers = tracedHeaders();
        byte[] envelope = encryptor().encrypt(topic, headers, plaintext);

        assertThat(envelope.length).isGreaterThan(size);
        assertThat(decryptor().decrypt(topic, headers, envelope)).isEqualTo(plaintext);
    }

    @Test
    void deletesStayNullAndCarryAProofBoundToTopicKeyAndTrace() {
        Headers headers = tracedHeaders();
        byte[] key = "customer-42".getBytes(StandardCharsets.UTF_8);
        EnvelopeEncryptor encryptor = encryptor();
        assertThat(encryptor.encrypt(topic, headers, null)).isNull();
        encryptor.encryptDelete(topic, headers, key);

        DeleteProof proof = DeleteProof.parse(headers.lastHeader(DeleteProof.HEADER).value(), topic);
        assertThat(proof.version()).isEqualTo(formatVersion());
        assertThat(proof.binding().boundTo(binding(topic))).isTrue();
        assertThat(proof.binding().wrappedUnder(binding(topic))).isTrue();
        assertThat(proof.binding().kekVersion()).isEqualTo(1);
        assertThat(proof.boundTo(key)).isTrue();
        assertThat(proof.binding().boundTraceId()).contains(TraceContext.fromHeaders(headers).orElseThrow().traceId());

        EnvelopeDecryptor decryptor = decryptor();
        assertThat(decryptor.decrypt(topic, headers, key, null)).isNull();
        assertThat(headers.lastHeader(EnvelopeDecryptor.PASSTHROUGH_HEADER)).isNull();
    }

    @Test
    void aDeleteWithoutAValidProofIsRefusedUnlessItsTopicAcceptsPlainDeletes() {
        Headers headers = tracedHeaders();
        byte[] key = "customer-42".getBytes(StandardCharsets.UTF_8);
        encryptor().encryptDelete(topic, headers, key);
        EnvelopeDecryptor decryptor = decryptor();

        assertReason(() -> decryptor.decrypt(topic, tracedHeaders(), key, null), Reason.UNAUTHENTICATED_DELETE);
        assertThatThrownBy(() -> decryptor.decrypt(topic, headers, "customer-43".getBytes(StandardCharsets.UTF_8), null))
                .isInstanceOfSatisfying(EnvelopeException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNAUTHENTICATED_DELETE);
                    assertThat(e.getMessage()).contains("made for another record key");
                });
        assertReason(() -> decryptor.decrypt(topic, headers, null, null), Reason.UNAUTHENTICATED_DELETE);
        assertReason(() -> decryptor.decrypt("payments", headers, key, null), Reason.WRONG_TOPIC);
        Headers otherTrace = new RecordHeaders();
        TraceContext.newTrace().writeTo(otherTrace);
        otherTrace.add(headers.lastHeader(DeleteProof.HEADER));
        assertReason(() -> decryptor.decrypt(topic, otherTrace, key, null), Reason.TRACE_MISMATCH);
        byte[] proof = headers.lastHeader(DeleteProof.HEADER).value();
        for (int at : new int[] {proof.length - 1, proof.length - 20, 3}) {
            Headers edited = new RecordHeaders(headers.toArray());
            byte[] bad = proof.clone();
            bad[at] ^= 1;
            edited.remove(DeleteProof.HEADER);
            edited.add(DeleteProof.HEADER, bad);
            assertThatThrownBy(() -> decryptor.decrypt(topic, edited, key, null)).isInstanceOf(EnvelopeException.class);
        }
        assertThatThrownBy(() -> decryptor.decrypt(topic, headers, null)).isInstanceOfSatisfying(EnvelopeException.class,
                e -> assertThat(e.getMessage()).contains("key deserializer"));

        EnvelopeDecryptor migrating = decryptor("ciphertrail.envelope.plain.deletes.topics", topic);
        Headers plain = tracedHeaders();
        assertThat(migrating.decrypt(topic, plain, key, null)).isNull();
        assertThat(plain.lastHeader(EnvelopeDecryptor.PASSTHROUGH_HEADER).value()).isEqualTo("delete".getBytes(StandardCharsets.UTF_8));
        assertReason(() -> migrating.decrypt("payments", tracedHeaders(), key, null), Reason.UNAUTHENTICATED_DELETE);
    }

    @Test
    void aWriterHoldingOnlyAnotherTopicsKeyCannotWriteRecordsThisTopicAccepts() throws Exception {
        String other = topic + "-a";
        admin.create("ciphertrail/topic/" + other);
        // The forger holds only the other topic's KEK: it wraps a data key under it and binds the envelope to this topic.
        Kms forgersKms = closeLater(KmsConfig.kms(kmsConfigs()));
        io.ciphertrail.core.kms.GeneratedDek dek = forgersKms.generateDek(new KekRef("ciphertrail/topic/" + other, 1))
                .toCompletableFuture().join();
        Headers headers = tracedHeaders();
        // Bound to this topic, honestly naming the KEK that wrapped its data key: the other topic's.
        TopicBinding honest = new TopicBinding(topic, "ciphertrail/topic/" + other);
        byte[] forged = forge(dek, honest, TraceContext.binary(headers), null, 0, bytes(10));
        byte[] forgedHeader = forge(dek, honest, null, "customer-email", 1, bytes(5));

        assertThatThrownBy(() -> decryptor().decrypt(topic, headers, forged)).isInstanceOfSatisfying(EnvelopeException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.WRONG_KEK);
            assertThat(e.getMessage()).contains("expects 'ciphertrail/topic/" + topic + "'");
            if (formatVersion() == 1) {
                assertThat(e.getMessage()).contains("'ciphertrail/topic/" + other + "'");
            }
        });
        Headers withHeader = tracedHeaders();
        withHeader.add("customer-email", forgedHeader);
        assertReason(() -> decryptor("ciphertrail.envelope.encrypted.headers", "customer-email")
                .decrypt(topic, withHeader, encryptor().encrypt(topic, withHeader, bytes(1))), Reason.WRONG_KEK);

        // Lying instead: naming this topic's KEK. The reader unwraps under this topic's KEK, never the forger's, so the
        // wrapped key is another key's: refused before anything is decrypted.
        byte[] lying = forge(dek, binding(topic), TraceContext.binary(headers), null, 2, bytes(10));
        assertReason(() -> decryptor().decrypt(topic, headers, lying), Reason.KEK_MISMATCH);
    }

    /** An envelope of the version under test under {@code dek}, bound to {@code bound} (topic and KEK alias). */
    private byte[] forge(io.ciphertrail.core.kms.GeneratedDek dek, TopicBinding bound, byte[] trace, String headerName, long counter,
                         byte[] plaintext) throws Exception {
        if (formatVersion() == 1) {
            io.ciphertrail.core.kms.Edek named = new io.ciphertrail.core.kms.Edek(new KekRef(bound.kekAlias(), 1), dek.edek().wrapped());
            return EnvelopeV1.seal(EnvelopeEncryptor.newGcm(), dek.dek().secretKey(), BindingV1.keySection(bound.topic(), named),
                    trace == null ? null : java.util.Arrays.copyOf(trace, 16), List.of(), null, headerName, EnvelopeV1.iv(0, counter), plaintext);
        }
        return EnvelopeV2.seal(EnvelopeEncryptor.newGcm(), dek.dek().secretKey(), BindingV2.keySection(bound, dek.edek()), bound, trace,
                List.of(), null, headerName, counter, plaintext);
    }

    @Test
    void topicsMappedToOneKekAreReadUnderItAndOnlyWhereTheMappingSaysSo() {
        String shared = "ciphertrail/shared/" + topic;
        admin.create(shared);
        Object[] mapping = {"ciphertrail.envelope.kek.alias.mappings", topic + "|" + topic + "-eu=" + shared};
        Headers headers = tracedHeaders();
        byte[] envelope = encryptor(mapping).encrypt(topic + "-eu", headers, bytes(10));
        assertThat(Envelope.parse(envelope, topic).binding().wrappedUnder(new TopicBinding(topic + "-eu", shared))).isTrue();

        assertThat(decryptor(mapping).decrypt(topic + "-eu", headers, envelope)).isEqualTo(bytes(10));
        assertReason(() -> decryptor().decrypt(topic + "-eu", headers, envelope), Reason.WRONG_KEK);
        assertThatThrownBy(() -> new EnvelopeConfig(Map.of("ciphertrail.envelope.kek.alias.mappings", "no-alias-here")))
                .hasMessageContaining("TOPIC_REGEX=KEK_ALIAS");
    }

    @Test
    void passedThroughRecordsAreMarkedAndCountedVerifiedOnesAreNot() {
        CountingListener counting = new CountingListener();
        Object[] passthrough = {"ciphertrail.envelope.unencrypted.records", "PASSTHROUGH"};
        EnvelopeDecryptor decryptor = decryptor(counting, passthrough);
        byte[] plain = "{\"injected\":true}".getBytes(StandardCharsets.UTF_8);
        Headers injected = tracedHeaders();
        assertThat(decryptor.decrypt(topic, injected, plain)).isEqualTo(plain);
        assertThat(injected.lastHeader(EnvelopeDecryptor.PASSTHROUGH_HEADER).value()).isEqualTo("value".getBytes(StandardCharsets.UTF_8));
        assertThat(counting.passedThrough.get(Reason.NOT_ENCRYPTED)).hasValue(1);

        Headers verified = tracedHeaders();
        assertThat(decryptor.decrypt(topic, verified, encryptor().encrypt(topic, verified, bytes(3)))).isEqualTo(bytes(3));
        assertThat(verified.lastHeader(EnvelopeDecryptor.PASSTHROUGH_HEADER)).isNull();
    }

    @Test
    void envelopeHeaderNamesTopicKeyAndTraceWithoutAKey() {
        Headers headers = tracedHeaders();
        byte[] envelope = encryptor().encrypt(topic, headers, "secret order".getBytes(StandardCharsets.UTF_8));
        Envelope parsed = Envelope.parse(envelope, topic);

        assertThat(parsed.version()).isEqualTo(formatVersion());
        assertThat(parsed.binding().boundTo(binding(topic))).isTrue();
        assertThat(parsed.binding().boundTo(binding("payments"))).isFalse();
        assertThat(parsed.binding().wrappedUnder(binding(topic))).isTrue();
        assertThat(parsed.binding().kekVersion()).isEqualTo(1);
        assertThat(parsed.binding().boundTraceId()).contains(TraceContext.fromHeaders(headers).orElseThrow().traceId());
        assertThat(new String(envelope, StandardCharsets.ISO_8859_1)).doesNotContain("secret order");
    }

    @Test
    void everySingleBitFlipIsDetected() {
        Headers headers = tracedHeaders();
        byte[] envelope = encryptor("ciphertrail.envelope.protected.headers", "tenant")
                .encrypt(topic, withTenant(headers), bytes(48));
        EnvelopeDecryptor decryptor = decryptor("ciphertrail.envelope.protected.headers", "tenant");
        Set<Reason> seen = new HashSet<>();
        for (int bit = 0; bit < envelope.length * 8; bit++) {
            byte[] flipped = envelope.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            EnvelopeException failure = catchThrowableOfType(EnvelopeException.class,
                    () -> decryptor.decrypt(topic, withTenant(headers), flipped));
            assertThat(failure).as("bit %d of %d flipped", bit, envelope.length * 8).isNotNull();
            seen.add(failure.reason());
        }
        assertThat(seen).contains(Reason.NOT_ENCRYPTED, Reason.UNSUPPORTED_VERSION, Reason.TAMPERED, Reason.WRONG_TOPIC);
    }

    @Test
    void everySingleBitFlipOfADeleteProofOrAnEncryptedHeaderValueIsDetected() {
        byte[] key = "customer-42".getBytes(StandardCharsets.UTF_8);
        Headers delete = tracedHeaders();
        encryptor().encryptDelete(topic, delete, key);
        byte[] proof = delete.lastHeader(DeleteProof.HEADER).value();
        EnvelopeDecryptor decryptor = decryptor();
        for (int bit = 0; bit < proof.length * 8; bit++) {
            Headers flipped = new RecordHeaders(delete.toArray());
            flipped.remove(DeleteProof.HEADER);
            flipped.add(DeleteProof.HEADER, flip(proof, bit));
            assertThat(catchThrowableOfType(EnvelopeException.class, () -> decryptor.decrypt(topic, flipped, key, null)))
                    .as("delete proof: bit %d of %d flipped", bit, proof.length * 8).isNotNull();
        }

        Object[] encrypted = {"ciphertrail.envelope.encrypted.headers", "customer-email"};
        Headers headers = tracedHeaders();
        headers.add("customer-email", "a@example.com".getBytes(StandardCharsets.UTF_8));
        byte[] envelope = encryptor(encrypted).encrypt(topic, headers, bytes(5));
        byte[] headerValue = headers.lastHeader("customer-email").value();
        EnvelopeDecryptor headerDecryptor = decryptor(encrypted);
        for (int bit = 0; bit < headerValue.length * 8; bit++) {
            Headers flipped = new RecordHeaders(headers.toArray());
            flipped.remove("customer-email");
            flipped.add("customer-email", flip(headerValue, bit));
            assertThat(catchThrowableOfType(EnvelopeException.class, () -> headerDecryptor.decrypt(topic, flipped, envelope)))
                    .as("header value: bit %d of %d flipped", bit, headerValue.length * 8).isNotNull();
        }
    }

    private static byte[] flip(byte[] bytes, int bit) {
        byte[] flipped = bytes.clone();
        flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        return flipped;
    }

    private static Headers withTenant(Headers traced) {
        Headers headers = new RecordHeaders(traced.toArray());
        headers.remove("tenant");
        headers.add("tenant", "acme".getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    @Test
    void recordCopiedToAnotherTopicFailsAsWrongTopic() {
        Headers headers = tracedHeaders();
        byte[] envelope = encryptor().encrypt(topic, headers, bytes(10));
        assertThatThrownBy(() -> decryptor().decrypt("payments", headers, envelope))
                .isInstanceOfSatisfying(EnvelopeException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.WRONG_TOPIC);
                    assertThat(e.getMessage()).contains("topic 'payments'").contains(formatVersion() == 1
                            ? "encrypted for topic '" + topic + "'"
                            : "encrypted for a topic with fingerprint " + String.format("%08x", TopicBinding.fingerprint(topic.getBytes(StandardCharsets.UTF_8))));
                });
    }

    @Test
    void editedProtectedHeaderFails() {
        Headers headers = withTenant(tracedHeaders());
        byte[] envelope = encryptor("ciphertrail.envelope.protected.headers", "tenant").encrypt(topic, headers, bytes(10));
        EnvelopeDecryptor decryptor = decryptor("ciphertrail.envelope.protected.headers", "tenant");
        assertThat(decryptor.decrypt(topic, headers, envelope)).isEqualTo(bytes(10));

        Headers edited = new RecordHeaders(headers.toArray());
        edited.remove("tenant");
        edited.add("tenant", "evil".getBytes(StandardCharsets.UTF_8));
        assertReason(() -> decryptor.decrypt(topic, edited, envelope), Reason.PROTECTED_HEADER_MISMATCH);

        Headers removed = new RecordHeaders(headers.toArray());
        removed.remove("tenant");
        assertReason(() -> decryptor.decrypt(topic, removed, envelope), Reason.PROTECTED_HEADER_MISMATCH);
    }

    @Test
    void editedTraceFailsButADroppedTraceHeaderIsRecoveredFromTheEnvelope() {
        Headers headers = tracedHeaders();
        byte[] envelope = encryptor().encrypt(topic, headers, bytes(10));
        EnvelopeDecryptor decryptor = decryptor();

        Headers otherTrace = new RecordHeaders();
        TraceContext.newTrace().writeTo(otherTrace);
        assertReason(() -> decryptor.decrypt(topic, otherTrace, envelope), Reason.TRACE_MISMATCH);

        Headers sameTraceNewSpan = new RecordHeaders();
        TraceContext.fromHeaders(headers).orElseThrow().newSpan().writeTo(sameTraceNewSpan);
        assertThat(decryptor.decrypt(topic, sameTraceNewSpan, envelope)).isEqualTo(bytes(10));

        Headers dropped = new RecordHeaders();
        assertThat(EnvelopeDecryptor.traceId(dropped, envelope)).contains(TraceContext.fromHeaders(headers).orElseThrow().traceId());
        assertThat(decryptor.decrypt(topic, dropped, envelope)).isEqualTo(bytes(10));
        TraceContext restored = TraceContext.fromHeaders(dropped).orElseThrow();
        if (formatVersion() == 1) {
            assertThat(restored.traceId()).isEqualTo(TraceContext.fromHeaders(headers).orElseThrow().traceId());
        } else {
            assertThat(restored).as("version 2 gives back the whole context").isEqualTo(TraceContext.fromHeaders(headers).orElseThrow());
        }
    }

    @Test
    void theTraceOfARecordTravelsInItsEnvelopeAndComesBackWholeWithoutTheHeader() {
        // An unsampled trace with a given parent: version 2 keeps flags and parent ID, not only the trace ID.
        TraceContext sent = new TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "00");
        Headers headers = new RecordHeaders();
        sent.writeTo(headers);
        byte[] envelope = encryptor().encrypt(topic, headers, bytes(10));
        byte[] key = "customer-42".getBytes(StandardCharsets.UTF_8);
        Headers deleted = new RecordHeaders();
        sent.writeTo(deleted);
        encryptor().encryptDelete(topic, deleted, key);
        deleted.remove(TraceContext.HEADER);

        Headers received = new RecordHeaders();
        assertThat(decryptor().decrypt(topic, received, envelope)).isEqualTo(bytes(10));
        assertThat(EnvelopeDecryptor.traceId(deleted, null)).contains(sent.traceId());
        assertThat(decryptor().decrypt(topic, deleted, key, null)).isNull();
        for (Headers restored : List.of(received, deleted)) {
            if (formatVersion() == 1) {
                assertThat(TraceContext.fromHeaders(restored).orElseThrow().traceId()).isEqualTo(sent.traceId());
            } else {
                assertThat(TraceContext.fromHeaders(restored)).contains(sent);
            }
        }
    }

    @Test
    void readersReadBothVersionsSoWritersMoveOnlyOnceEveryReaderIsUpgraded() {
        Headers headers = tracedHeaders();
        byte[] key = "customer-42".getBytes(StandardCharsets.UTF_8);
        EnvelopeDecryptor reader = decryptor("ciphertrail.envelope.encrypted.headers", "customer-email");
        for (int version : new int[] {1, 2}) {
            Headers sent = new RecordHeaders(headers.toArray());
            sent.add("customer-email", "a@example.com".getBytes(StandardCharsets.UTF_8));
            EnvelopeEncryptor writer = encryptor("ciphertrail.envelope.format.version", version,
                    "ciphertrail.envelope.encrypted.headers", "customer-email");
            byte[] envelope = writer.encrypt(topic, sent, bytes(100));
            Headers deleted = new RecordHeaders(headers.toArray());
            writer.encryptDelete(topic, deleted, key);

            Envelope parsed = Envelope.parse(envelope, topic);
            assertThat(parsed.version()).isEqualTo(version);
            // Version 1 writers ask the KMS for data keys earlier releases unwrap (format 2 of the built-in providers).
            KekRef kek = new KekRef("ciphertrail/topic/" + topic, 1);
            try (Kms kms = KmsConfig.kms(kmsConfigs())) {
                io.ciphertrail.core.kms.GeneratedDek form = (version == 1 ? kms.generateDekForEarlierReaders(kek) : kms.generateDek(kek))
                        .toCompletableFuture().join();
                assertThat(parsed.binding().wrappedKey()).hasSameSizeAs(form.edek().wrapped());
                form.dek().destroy();
            }
            assertThat(DeleteProof.parse(deleted.lastHeader(DeleteProof.HEADER).value(), topic).version()).isEqualTo(version);
            Headers received = new RecordHeaders(sent.toArray());
            assertThat(reader.decrypt(topic, received, envelope)).isEqualTo(bytes(100));
            assertThat(received.lastHeader("customer-email").value()).isEqualTo("a@example.com".getBytes(StandardCharsets.UTF_8));
            assertThat(reader.decrypt(topic, deleted, key, null)).isNull();
        }
    }

    @Test
    void anIvIsNeverUsedTwiceUnderADataKeyByValuesHeaderValuesAndDeleteProofsOnManyThreads() throws Exception {
        EnvelopeEncryptor encryptor = encryptor(CryptoListener.NONE, clock, "ciphertrail.envelope.encrypted.headers", "customer-email",
                "ciphertrail.envelope.dek.max.encryptions", 300L);
        Set<String> used = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger sealed = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> work = new ArrayList<>();
            for (int thread = 0; thread < 4; thread++) {
                work.add(threads.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        Headers headers = tracedHeaders();
                        headers.add("customer-email", bytes(i));
                        Envelope value = Envelope.parse(encryptor.encrypt(topic, headers, bytes(i)), topic);
                        Envelope header = Envelope.parse(headers.lastHeader("customer-email").value(), topic);
                        for (Envelope envelope : List.of(value, header)) {
                            used.add(java.util.HexFormat.of().formatHex(envelope.binding().wrappedKey()) + "/"
                                    + java.util.HexFormat.of().formatHex(envelope.iv()));
                            sealed.incrementAndGet();
                        }
                        if (i % 10 == 0) {
                            encryptor.encryptDelete(topic, headers, bytes(i));
                            DeleteProof proof = DeleteProof.parse(headers.lastHeader(DeleteProof.HEADER).value(), topic);
                            used.add(java.util.HexFormat.of().formatHex(proof.binding().wrappedKey()) + "/"
                                    + java.util.HexFormat.of().formatHex(proof.iv()));
                            sealed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> done : work) {
                done.get(120, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(sealed.get()).isEqualTo(4 * (400 + 20));
        assertThat(used).as("distinct (data key, IV) pairs").hasSize(sealed.get());
    }

    @Test
    void aVersion2EnvelopeOfATracedRecordAddsAtMost80Bytes() {
        Headers headers = tracedHeaders();
        byte[] envelope = encryptor("ciphertrail.envelope.format.version", 2).encrypt(topic, headers, bytes(1024));
        // magic, version, flags 4; fingerprints 8; KEK version 1; wrapped key 1 + 19; trace 25; IV counter 1; tag 16
        assertThat(envelope.length - 1024).isEqualTo(75);
    }

    @Test
    void unknownVersionAndUnencryptedRecordsFailWithTheirOwnReason() {
        byte[] envelope = encryptor().encrypt(topic, tracedHeaders(), bytes(10));
        byte[] future = envelope.clone();
        future[2] = 3;
        assertReason(() -> decryptor().decrypt(topic, tracedHeaders(), future), Reason.UNSUPPORTED_VERSION);

        byte[] plain = "{\"order\":1}".getBytes(StandardCharsets.UTF_8);
        assertReason(() -> decryptor().decrypt(topic, tracedHeaders(), plain), Reason.NOT_ENCRYPTED);
        assertThat(decryptor("ciphertrail.envelope.unencrypted.records", "PASSTHROUGH").decrypt(topic, tracedHeaders(), plain))
                .isEqualTo(plain);
    }

    @Test
    void topicWithoutAKekIsRefusedNamingTopicAndAlias() {
        assertThatThrownBy(() -> encryptor().encrypt("no-key-topic", tracedHeaders(), bytes(1)))
                .isInstanceOfSatisfying(EnvelopeException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_KEK);
                    assertThat(e.getMessage()).contains("no-key-topic").contains("ciphertrail/topic/no-key-topic")
                            .contains("ciphertrail keys create");
                });
    }

    @Test
    void destroyedKekShredsItsRecordsForGood() {
        Headers headers = tracedHeaders();
        byte[] envelope = encryptor().encrypt(topic, headers, bytes(10));
        assertThat(decryptor().decrypt(topic, headers, envelope)).isEqualTo(bytes(10));

        admin.destroy(new KekRef("ciphertrail/topic/" + topic, 1));

        assertReason(() -> decryptor().decrypt(topic, headers, envelope), Reason.KEK_DESTROYED);
    }

    @Test
    void destroyingEveryVersionShredsTheTopic() {
        Headers headers = tracedHeaders();
        byte[] v1 = encryptor().encrypt(topic, headers, bytes(10));
        admin.rotate("ciphertrail/topic/" + topic);
        byte[] v2 = encryptor().encrypt(topic, headers, bytes(10));
        assertThat(Envelope.parse(v2, topic).binding().kekVersion()).isEqualTo(2);

        admin.destroyAll("ciphertrail/topic/" + topic);

        assertReason(() -> decryptor().decrypt(topic, headers, v1), Reason.KEK_DESTROYED);
        assertReason(() -> decryptor().decrypt(topic, headers, v2), Reason.KEK_DESTROYED);
        assertThat(admin.list()).filteredOn(i -> i.ref().alias().equals("ciphertrail/topic/" + topic))
                .allMatch(i -> i.state() == io.ciphertrail.core.kms.KekInfo.State.DESTROYED).hasSize(2);
    }

    @Test
    void aProducerStopsEncryptingOnceItsTopicIsShreddedInsteadOfWritingUnreadableRecords() throws Exception {
        EnvelopeEncryptor encryptor = encryptor(CryptoListener.NONE, clock, "ciphertrail.envelope.kek.refresh.ms", 1_000L);
        Headers headers = tracedHeaders();
        encryptor.encrypt(topic, headers, bytes(1));

        admin.destroyAll("ciphertrail/topic/" + topic);
        clock.advance(Duration.ofSeconds(2));

        EnvelopeException refused = null;
        for (int i = 0; i < 500 && refused == null; i++) {
            try {
                encryptor.encrypt(topic, headers, bytes(1));
                Thread.sleep(10);
            } catch (EnvelopeException e) {
                refused = e;
            }
        }
        assertThat(refused).isNotNull();
        assertThat(refused.reason()).isEqualTo(Reason.KEK_DESTROYED);
        assertThat(refused.getMessage()).contains("shredded");
    }

    @Test
    void aTopicWithoutAKekDoesNotCostAKmsCallPerRecord() {
        CountingListener listener = new CountingListener();
        EnvelopeEncryptor encryptor = encryptor(listener, clock);
        for (int i = 0; i < 20; i++) {
            assertReason(() -> encryptor.encrypt("no-key-topic", tracedHeaders(), bytes(1)), Reason.UNKNOWN_KEK);
        }
        assertThat(listener.calls(KmsOperation.RESOLVE)).isEqualTo(1);
        clock.advance(Duration.ofSeconds(2));
        assertReason(() -> encryptor.encrypt("no-key-topic", tracedHeaders(), bytes(1)), Reason.UNKNOWN_KEK);
        assertThat(listener.calls(KmsOperation.RESOLVE)).isEqualTo(2);
    }

    @Test
    void keyRotationWrapsNewDataKeysWithTheNewVersionAndOldRecordsStillDecrypt() throws Exception {
        Headers headers = tracedHeaders();
        EnvelopeEncryptor encryptor = encryptor(CryptoListener.NONE, clock, "ciphertrail.envelope.kek.refresh.ms", 1_000L);
        byte[] before = encryptor.encrypt(topic, headers, bytes(10));
        assertThat(Envelope.parse(before, topic).binding().kekVersion()).isEqualTo(1);

        admin.rotate("ciphertrail/topic/" + topic);
        clock.advance(Duration.ofSeconds(2));

        byte[] after = null;
        for (int i = 0; i < 500; i++) {
            after = encryptor.encrypt(topic, headers, bytes(10));
            if (Envelope.parse(after, topic).binding().kekVersion() == 2) {
                break;
            }
            Thread.sleep(10);
        }
        assertThat(Envelope.parse(after, topic).binding().kekVersion()).isEqualTo(2);
        EnvelopeDecryptor decryptor = decryptor();
        assertThat(decryptor.decrypt(topic, headers, before)).isEqualTo(bytes(10));
        assertThat(decryptor.decrypt(topic, headers, after)).isEqualTo(bytes(10));
    }

    @Test
    void dataKeyIsReplacedBeforeItServesMoreThanItsLimit() {
        CountingListener listener = new CountingListener();
        EnvelopeEncryptor encryptor = encryptor(listener, clock, "ciphertrail.envelope.dek.max.encryptions", 10L);
        Headers headers = tracedHeaders();
        Map<String, Integer> uses = new HashMap<>();
        List<byte[]> envelopes = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            byte[] envelope = encryptor.encrypt(topic, headers, bytes(i));
            envelopes.add(envelope);
            uses.merge(java.util.HexFormat.of().formatHex(Envelope.parse(envelope, topic).binding().wrappedKey()), 1, Integer::sum);
        }
        assertThat(uses.size()).isGreaterThanOrEqualTo(5);
        assertThat(uses.values()).allMatch(count -> count <= 10);
        EnvelopeDecryptor decryptor = decryptor();
        for (int i = 0; i < envelopes.size(); i++) {
            assertThat(decryptor.decrypt(topic, headers, envelopes.get(i))).isEqualTo(bytes(i));
        }
    }

    @Test
    void dataKeyIsReplacedWhenItGetsOld() {
        EnvelopeEncryptor encryptor = encryptor(CryptoListener.NONE, clock, "ciphertrail.envelope.dek.max.age.ms", 60_000L);
        Headers headers = tracedHeaders();
        byte[] first = encryptor.encrypt(topic, headers, bytes(1));
        clock.advance(Duration.ofSeconds(61));
        byte[] later = encryptor.encrypt(topic, headers, bytes(1));

        assertThat(Envelope.parse(later, topic).binding().wrappedKey()).isNotEqualTo(Envelope.parse(first, topic).binding().wrappedKey());
    }

    @Test
    void oneDataKeyLifetimeCostsOneGenerateForTheProducerAndOneUnwrapPerConsumerProcess() {
        CountingListener producer = new CountingListener();
        EnvelopeEncryptor encryptor = encryptor(producer, clock, "ciphertrail.envelope.dek.max.encryptions", 1_000L);
        Headers headers = tracedHeaders();
        List<byte[]> envelopes = new ArrayList<>();
        for (int i = 0; i < 700; i++) {
            envelopes.add(encryptor.encrypt(topic, headers, bytes(16)));
        }
        assertThat(producer.calls(KmsOperation.GENERATE)).isEqualTo(1);
        assertThat(producer.calls(KmsOperation.RESOLVE)).isEqualTo(1);

        for (int consumer = 0; consumer < 2; consumer++) {
            CountingListener counting = new CountingListener();
            EnvelopeDecryptor decryptor = decryptor(counting);
            envelopes.forEach(envelope -> decryptor.decrypt(topic, headers, envelope));
            assertThat(counting.calls(KmsOperation.UNWRAP)).as("unwraps in consumer %d", consumer).isEqualTo(1);
            assertThat(counting.decrypted.get()).isEqualTo(700);
        }
    }

    @Test
    void recordKeysEncryptDeterministicallyPerTopicInEveryProcess() {
        admin.create("ciphertrail/topic/" + topic + "/record-key");
        Object[] on = {"ciphertrail.envelope.record.key.encryption", true};
        byte[] key = "customer-42".getBytes(StandardCharsets.UTF_8);

        byte[] first = encryptor(on).encryptRecordKey(topic, key);
        byte[] second = encryptor(on).encryptRecordKey(topic, key);

        assertThat(first).isEqualTo(second).isNotEqualTo(key);
        assertThat(encryptor(on).encryptRecordKey(topic, "customer-43".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(first);
        assertThat(decryptor(on).decryptRecordKey(topic, first)).isEqualTo(key);
        assertThat(encryptor(on).encryptRecordKey(topic, null)).isNull();

        byte[] tampered = first.clone();
        tampered[tampered.length - 1] ^= 1;
        assertReason(() -> decryptor(on).decryptRecordKey(topic, tampered), Reason.TAMPERED);
        assertReason(() -> decryptor(on).decryptRecordKey(topic, key), Reason.NOT_ENCRYPTED);
    }

    @Test
    void preparingATopicGetsItsFirstDataKeyInTheBackgroundOnce() {
        CountingListener counting = new CountingListener();
        EnvelopeEncryptor encryptor = encryptor(counting, Clock.systemUTC());

        encryptor.prepare(topic);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .until(() -> counting.calls(KmsOperation.GENERATE) == 1);
        encryptor.prepare(topic);
        Headers headers = tracedHeaders();
        byte[] envelope = encryptor.encrypt(topic, headers, bytes(5));

        assertThat(counting.calls(KmsOperation.GENERATE)).as("the first record used the prepared key").isEqualTo(1);
        assertThat(decryptor().decrypt(topic, headers, envelope)).isEqualTo(bytes(5));
    }

    @Test
    void recordKeysWrittenInVersion1KeepDecryptingAndNewOnesAreVersion2() throws Exception {
        String alias = "ciphertrail/topic/" + topic + "/record-key";
        KekRef kek = admin.create(alias);
        Object[] on = {"ciphertrail.envelope.record.key.encryption", true};
        byte[] key = "customer-42".getBytes(StandardCharsets.UTF_8);

        // A version 1 record key as earlier releases wrote it: AES-256-GCM-SIV, zero nonce, under the KMS-derived key.
        byte[] derived;
        try (Kms kms = KmsConfig.kms(kmsConfigs())) {
            io.ciphertrail.core.kms.Dek dek = kms.deriveKey(kek, "record-key").toCompletableFuture().get();
            derived = dek.copyMaterial();
            dek.destroy();
        }
        java.io.ByteArrayOutputStream aad = new java.io.ByteArrayOutputStream();
        aad.writeBytes("ciphertrail record key v1".getBytes(StandardCharsets.US_ASCII));
        for (String part : new String[] {topic, alias}) {
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            aad.write(bytes.length >>> 8);
            aad.write(bytes.length);
            aad.writeBytes(bytes);
        }
        aad.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(kek.version()).array());
        org.bouncycastle.crypto.modes.GCMSIVBlockCipher gcmSiv = new org.bouncycastle.crypto.modes.GCMSIVBlockCipher();
        gcmSiv.init(true, new org.bouncycastle.crypto.params.AEADParameters(
                new org.bouncycastle.crypto.params.KeyParameter(derived), 128, new byte[12], aad.toByteArray()));
        byte[] sealed = new byte[gcmSiv.getOutputSize(key.length)];
        gcmSiv.doFinal(sealed, gcmSiv.processBytes(key, 0, key.length, sealed, 0));
        byte[] version1 = java.nio.ByteBuffer.allocate(7 + sealed.length).put((byte) 0xC7).put((byte) 0x4B).put((byte) 1)
                .putInt(kek.version()).put(sealed).array();

        assertThat(decryptor(on).decryptRecordKey(topic, version1)).isEqualTo(key);
        // A writer told to keep writing version 1 writes exactly those bytes: keys stay on their partitions until all move.
        assertThat(encryptor("ciphertrail.envelope.record.key.encryption", true, "ciphertrail.envelope.record.key.format.version", 1)
                .encryptRecordKey(topic, key)).isEqualTo(version1);
        byte[] tampered = version1.clone();
        tampered[9] ^= 1;
        assertReason(() -> decryptor(on).decryptRecordKey(topic, tampered), Reason.TAMPERED);

        byte[] version2 = encryptor(on).encryptRecordKey(topic, key);
        assertThat(version2[2]).isEqualTo((byte) 2);
        assertThat(version2).hasSize(7 + 16 + key.length);
        assertThat(decryptor(on).decryptRecordKey(topic, version2)).isEqualTo(key);
        byte[] unknown = version2.clone();
        unknown[2] = 3;
        assertReason(() -> decryptor(on).decryptRecordKey(topic, unknown), Reason.UNSUPPORTED_VERSION);
        String other = topic + "-other";
        admin.create("ciphertrail/topic/" + other + "/record-key");
        assertReason(() -> decryptor(on).decryptRecordKey(other, version2), Reason.TAMPERED);
    }

    @Test
    void shreddingARecordKeyKekStopsRunningProducersAndConsumersFromUsingDerivedKeys() throws Exception {
        String alias = "ciphertrail/topic/" + topic + "/record-key";
        admin.create(alias);
        Object[] on = {"ciphertrail.envelope.record.key.encryption", true, "ciphertrail.envelope.kek.refresh.ms", 1_000L};
        CountingListener producerCalls = new CountingListener();
        EnvelopeEncryptor encryptor = encryptor(producerCalls, clock, on);
        EnvelopeDecryptor decryptor = decryptor(CryptoListener.NONE, clock, on);
        byte[] key = "customer-42".getBytes(StandardCharsets.UTF_8);
        byte[] encrypted = encryptor.encryptRecordKey(topic, key);
        assertThat(decryptor.decryptRecordKey(topic, encrypted)).isEqualTo(key);

        admin.destroyAll(alias);
        clock.advance(Duration.ofSeconds(2));

        assertThat(firstFailure(() -> encryptor.encryptRecordKey(topic, key))).isEqualTo(Reason.KEK_DESTROYED);
        assertThat(firstFailure(() -> decryptor.decryptRecordKey(topic, encrypted))).isEqualTo(Reason.KEK_DESTROYED);
        long calls = producerCalls.calls(KmsOperation.RESOLVE) + producerCalls.calls(KmsOperation.DERIVE);
        for (int i = 0; i < 20; i++) {
            assertReason(() -> encryptor.encryptRecordKey(topic, key), Reason.KEK_DESTROYED);
        }
        assertThat(producerCalls.calls(KmsOperation.RESOLVE) + producerCalls.calls(KmsOperation.DERIVE))
                .as("a shredded key costs no KMS call per record").isEqualTo(calls);
    }

    /** Calls {@code use} until it fails (a background check is under way), for at most five seconds. */
    private static Reason firstFailure(Runnable use) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            try {
                use.run();
            } catch (EnvelopeException e) {
                return e.reason();
            }
            Thread.sleep(10);
        }
        return null;
    }

    @Test
    void namedHeadersAreEncryptedAndCannotBeMovedToAnotherHeader() {
        Object[] encrypted = {"ciphertrail.envelope.encrypted.headers", "customer-email"};
        Headers headers = tracedHeaders();
        headers.add("customer-email", "a@example.com".getBytes(StandardCharsets.UTF_8));
        headers.add("plain", "visible".getBytes(StandardCharsets.UTF_8));
        byte[] envelope = encryptor(encrypted).encrypt(topic, headers, bytes(5));

        assertThat(new String(headers.lastHeader("customer-email").value(), StandardCharsets.ISO_8859_1)).doesNotContain("example.com");
        assertThat(headers.lastHeader("plain").value()).isEqualTo("visible".getBytes(StandardCharsets.UTF_8));

        Headers moved = new RecordHeaders(headers.toArray());
        moved.remove("customer-email");
        Headers received = new RecordHeaders(headers.toArray());
        EnvelopeDecryptor decryptor = decryptor(encrypted);
        assertThat(decryptor.decrypt(topic, received, envelope)).isEqualTo(bytes(5));
        assertThat(received.lastHeader("customer-email").value()).isEqualTo("a@example.com".getBytes(StandardCharsets.UTF_8));

        Object[] both = {"ciphertrail.envelope.encrypted.headers", "customer-email,other"};
        moved.add("other", headers.lastHeader("customer-email").value());
        assertReason(() -> decryptor(both).decrypt(topic, moved, envelope), Reason.TAMPERED);
    }

    @Test
    void traceparentCannotBeAnEncryptedHeader() {
        assertThatThrownBy(() -> new EnvelopeConfig(Map.of("ciphertrail.envelope.encrypted.headers", "traceparent")))
                .hasMessageContaining("trace context must stay readable");
    }

    static void assertReason(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(EnvelopeException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
