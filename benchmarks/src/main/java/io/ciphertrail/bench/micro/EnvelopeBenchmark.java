package io.ciphertrail.bench.micro;

import io.ciphertrail.core.envelope.CryptoListener;
import io.ciphertrail.core.envelope.DekCache;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import io.ciphertrail.core.envelope.EnvelopeEncryptor;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.trace.TraceContext;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Envelope encryption and decryption of one record value, against raw JCA AES-256-GCM of the same
 * bytes: the practical limit, since every envelope is one AES-GCM operation plus its header.
 *
 * <p>As in production: the record to encrypt carries a {@code traceparent} header (a SecureProducer stamps one on
 * every record), whose whole context the envelope binds; the record to decrypt arrives without it (envelope version
 * 2 carries the trace instead), so decryption gives the record its header back. The data key is current (no KMS call
 * on this path).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 12, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseParallelGC", "-XX:+AlwaysPreTouch"})
public class EnvelopeBenchmark {
    @Param({"100", "1024", "16384", "262144"})
    int size;

    private MicroKms kmsFiles;
    private Kms kms;
    private DekCache cache;
    private EnvelopeEncryptor encryptor;
    private EnvelopeDecryptor decryptor;
    private Headers headers;
    private byte[] plaintext;
    private byte[] envelope;

    private Cipher rawCipher;
    private SecretKey rawKey;
    private final byte[] rawIv = new byte[12];
    private long rawCounter;
    private byte[] rawCiphertext;
    private byte[] rawCiphertextIv;

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException {
        kmsFiles = new MicroKms(false);
        Map<String, Object> configs = kmsFiles.configs();
        kms = KmsConfig.kms(configs);
        EnvelopeConfig config = new EnvelopeConfig(configs);
        cache = new DekCache(config.dekCacheMaxEntries(), config.dekCacheMaxAge().toMillis(), Clock.systemUTC());
        encryptor = new EnvelopeEncryptor(kms, config, cache, CryptoListener.NONE, Clock.systemUTC());
        decryptor = new EnvelopeDecryptor(kms, config, cache, CryptoListener.NONE, Clock.systemUTC());
        headers = new RecordHeaders();
        TraceContext.newTrace().writeTo(headers);
        plaintext = new byte[size];
        new SecureRandom().nextBytes(plaintext);
        envelope = encryptor.encrypt(MicroKms.TOPIC, headers, plaintext);

        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        rawKey = new SecretKeySpec(key, "AES");
        rawCipher = Cipher.getInstance("AES/GCM/NoPadding");
        new SecureRandom().nextBytes(rawIv);
        rawCiphertextIv = rawIv.clone();
        rawCipher.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, rawCiphertextIv));
        rawCiphertext = rawCipher.doFinal(plaintext);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        encryptor.close();
        decryptor.close();
        cache.close();
        kms.close();
        kmsFiles.close();
    }

    @Benchmark
    public byte[] envelopeEncrypt() {
        return encryptor.encrypt(MicroKms.TOPIC, headers, plaintext);
    }

    @Benchmark
    public byte[] envelopeDecrypt() {
        return decryptor.decrypt(MicroKms.TOPIC, new RecordHeaders(), envelope);
    }

    /** One AES-256-GCM encryption under a fresh IV (a counter, as the envelope uses), no associated data. */
    @Benchmark
    public byte[] rawAesGcmEncrypt() throws GeneralSecurityException {
        ByteBuffer.wrap(rawIv).putLong(4, ++rawCounter);
        rawCipher.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, rawIv));
        return rawCipher.doFinal(plaintext);
    }

    @Benchmark
    public byte[] rawAesGcmDecrypt() throws GeneralSecurityException {
        rawCipher.init(Cipher.DECRYPT_MODE, rawKey, new GCMParameterSpec(128, rawCiphertextIv));
        return rawCipher.doFinal(rawCiphertext);
    }
}
