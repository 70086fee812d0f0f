package io.ciphertrail.bench.micro;

import io.ciphertrail.core.tls.TlsConfig;
import io.ciphertrail.core.tls.TlsPolicy;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The TLS policy check a secure client runs once when it starts (never per record): a typical mTLS
 * client configuration, checked and copied with the reloading engine factory added.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 12, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseParallelGC", "-XX:+AlwaysPreTouch"})
public class TlsPolicyBenchmark {
    private final Map<String, Object> configs = new HashMap<>(Map.of(
            "bootstrap.servers", "localhost:9093",
            "security.protocol", "SSL",
            "ssl.keystore.location", "/etc/ciphertrail/orders-service/keystore.p12",
            "ssl.keystore.password", "changeit",
            "ssl.keystore.type", "PKCS12",
            "ssl.truststore.location", "/etc/ciphertrail/orders-service/truststore.p12",
            "ssl.truststore.password", "changeit",
            "ssl.truststore.type", "PKCS12",
            "ssl.enabled.protocols", "TLSv1.3,TLSv1.2",
            "ssl.endpoint.identification.algorithm", "https"));

    @Benchmark
    public Map<String, Object> tlsPolicyCheck() {
        TlsPolicy.requireSecureClient(configs);
        return configs;
    }

    @Benchmark
    public Map<String, Object> secureClientConfigs() {
        return TlsConfig.secureClientConfigs(configs);
    }
}
