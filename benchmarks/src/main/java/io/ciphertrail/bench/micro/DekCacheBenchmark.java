package io.ciphertrail.bench.micro;

import io.ciphertrail.core.envelope.DekCache;
import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekRef;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The data key cache hit: what a consumer does for every record once the record's data key is known.
 * The wrapped key is parsed from each envelope, so the lookup key is a fresh {@link Edek} every time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 12, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseParallelGC", "-XX:+AlwaysPreTouch"})
public class DekCacheBenchmark {
    private static final int KEYS = 100;

    private DekCache cache;
    private KekRef kek;
    private byte[][] wrapped;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        cache = new DekCache(10_000, 7_200_000, Clock.systemUTC());
        kek = new KekRef("ciphertrail/topic/" + MicroKms.TOPIC, 1);
        wrapped = new byte[KEYS][60];
        SecureRandom random = new SecureRandom();
        for (byte[] edek : wrapped) {
            random.nextBytes(edek);
            Dek dek = Dek.generate();
            cache.put(new Edek(kek, edek), dek);
            dek.destroy();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cache.close();
    }

    @Benchmark
    public SecretKey dekCacheHit() {
        next = (next + 1) % KEYS;
        return cache.key(new Edek(kek, wrapped[next]));
    }
}
