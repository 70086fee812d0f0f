package io.ciphertrail.bench.micro;

import io.ciphertrail.core.envelope.CryptoListener;
import io.ciphertrail.core.envelope.DekCache;
import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.core.envelope.EnvelopeDecryptor;
import io.ciphertrail.core.envelope.EnvelopeEncryptor;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsConfig;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * Deterministic record-key encryption (AES-256-SIV, format version 2) of a key of {@code size} random bytes:
 * 32 is the size the target is stated for (a UUID as text is 36).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 12, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseParallelGC", "-XX:+AlwaysPreTouch"})
public class RecordKeyBenchmark {
    @Param({"32", "256"})
    int size;

    private MicroKms kmsFiles;
    private Kms kms;
    private DekCache cache;
    private EnvelopeEncryptor encryptor;
    private EnvelopeDecryptor decryptor;
    private byte[] key;
    private byte[] encryptedKey;

    @Setup(Level.Trial)
    public void setUp() {
        kmsFiles = new MicroKms(true);
        Map<String, Object> configs = kmsFiles.configs(EnvelopeConfig.RECORD_KEY_ENCRYPTION_CONFIG, "true");
        kms = KmsConfig.kms(configs);
        EnvelopeConfig config = new EnvelopeConfig(configs);
        cache = new DekCache(config.dekCacheMaxEntries(), config.dekCacheMaxAge().toMillis(), Clock.systemUTC());
        encryptor = new EnvelopeEncryptor(kms, config, cache, CryptoListener.NONE, Clock.systemUTC());
        decryptor = new EnvelopeDecryptor(kms, config, cache, CryptoListener.NONE, Clock.systemUTC());
        key = new byte[size];
        new java.security.SecureRandom().nextBytes(key);
        encryptedKey = encryptor.encryptRecordKey(MicroKms.TOPIC, key);
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
    public byte[] recordKeyEncrypt() {
        return encryptor.encryptRecordKey(MicroKms.TOPIC, key);
    }

    @Benchmark
    public byte[] recordKeyDecrypt() {
        return decryptor.decryptRecordKey(MicroKms.TOPIC, encryptedKey);
    }
}
