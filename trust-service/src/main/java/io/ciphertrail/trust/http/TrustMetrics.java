package io.ciphertrail.trust.http;

import io.ciphertrail.core.kms.remote.KeyServiceApi.Call;
import io.ciphertrail.trust.keys.Caller;
import io.ciphertrail.trust.keys.KeyService;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.LongSupplier;

/**
 * The trust service's Prometheus metrics: operations by call and result, their latency, denials by
 * principal, rate-limited calls, policy reloads and the audit pipeline. Counts and names only: never a
 * key, an alias's material or a secret.
 */
public final class TrustMetrics implements KeyService.Listener {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter operations = Counter.builder().name("ciphertrail_key_operations_total")
            .help("Key operations by call and result (OK, DENIED, or the KMS's failure kind)")
            .labelNames("operation", "result").register(registry);
    private final Histogram latency = Histogram.builder().name("ciphertrail_key_operation_seconds")
            .help("Time to decide, audit and run a key operation, including the backend KMS")
            .classicOnly().classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
            .labelNames("operation").register(registry);
    private final Counter denials = Counter.builder().name("ciphertrail_key_denials_total")
            .help("Key operations the key policy denied, by principal and call")
            .labelNames("principal", "operation").register(registry);
    private final Counter rateLimited = Counter.builder().name("ciphertrail_trust_rate_limited_total")
            .help("Calls refused because the principal exceeded its rate limit at this instance")
            .labelNames("principal").register(registry);

    @Override
    public void completed(Call call, String result, long nanos, Caller caller) {
        operations.labelValues(call.name(), result).inc();
        latency.labelValues(call.name()).observe(nanos / 1e9);
        if (result.equals("DENIED")) {
            denials.labelValues(caller.principal(), call.name()).inc();
        }
    }

    void rateLimited(String principal) {
        rateLimited.labelValues(principal).inc();
    }

    /** A counter read when scraped, e.g. from the policy source or the audit trail. */
    public void counter(String name, String help, LongSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(callback -> callback.call(value.getAsLong())).register(registry);
    }

    /** The Prometheus text exposition format. */
    byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
