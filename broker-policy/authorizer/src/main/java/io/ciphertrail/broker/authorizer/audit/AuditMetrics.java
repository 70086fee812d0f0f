package io.ciphertrail.broker.authorizer.audit;

import java.util.LinkedHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.PluginMetrics;

/**
 * Counters of the transport checks and the audit pipeline. Request threads only add to
 * {@link LongAdder}s; the values reach Kafka's metrics (JMX {@code kafka.server:type=plugins,...})
 * as gauges read on demand, so the hot path never touches a sensor.
 */
public final class AuditMetrics {
    private final LongAdder insecureDenied = new LongAdder();
    private final LongAdder insecureAllowed = new LongAdder();
    private final LongAdder anonymousDenied = new LongAdder();
    private final LongAdder expiredDenied = new LongAdder();
    private final LongAdder requestsDropped = new LongAdder();
    private final LongAdder requestsCollapsed = new LongAdder();
    private final LongAdder eventsDropped = new LongAdder();
    private final LongAdder eventsPublished = new LongAdder();
    private final LongAdder eventsFailed = new LongAdder();
    private volatile LongSupplier pending = () -> 0;

    public void insecureDenied(int requests) {
        insecureDenied.add(requests);
    }

    public void insecureAllowed(int requests) {
        insecureAllowed.add(requests);
    }

    public void anonymousDenied(int requests) {
        anonymousDenied.add(requests);
    }

    public void expiredDenied(int requests) {
        expiredDenied.add(requests);
    }

    void requestDropped() {
        requestsDropped.increment();
    }

    void requestCollapsed() {
        requestsCollapsed.increment();
    }

    void eventDropped() {
        eventsDropped.increment();
    }

    void eventPublished() {
        eventsPublished.increment();
    }

    void eventFailed() {
        eventsFailed.increment();
    }

    void pendingEvents(LongSupplier pending) {
        this.pending = pending;
    }

    public long insecureDenied() {
        return insecureDenied.sum();
    }

    public long insecureAllowed() {
        return insecureAllowed.sum();
    }

    public long expiredDenied() {
        return expiredDenied.sum();
    }

    public long anonymousDenied() {
        return anonymousDenied.sum();
    }

    public long requestsDropped() {
        return requestsDropped.sum();
    }

    public long requestsCollapsed() {
        return requestsCollapsed.sum();
    }

    public long eventsDropped() {
        return eventsDropped.sum();
    }

    public long eventsPublished() {
        return eventsPublished.sum();
    }

    public long eventsFailed() {
        return eventsFailed.sum();
    }

    public long eventsPending() {
        return pending.getAsLong();
    }

    /** Registers every counter with the broker's metrics for this plugin instance. */
    public void register(PluginMetrics metrics) {
        add(metrics, "insecure-requests-denied-total",
                "Authorizations denied because the request came over PLAINTEXT or SASL_PLAINTEXT (STRICT mode)", this::insecureDenied);
        add(metrics, "insecure-requests-tolerated-total",
                "Authorizations of requests over PLAINTEXT or SASL_PLAINTEXT let through to the ACLs (PERMISSIVE mode or an exempted listener)",
                this::insecureAllowed);
        add(metrics, "anonymous-requests-denied-total",
                "Authorizations denied because a TLS client presented no certificate (User:ANONYMOUS)", this::anonymousDenied);
        add(metrics, "expired-certificate-requests-denied-total",
                "Authorizations denied because the connection's client certificate has expired since it was opened", this::expiredDenied);
        add(metrics, "audit-requests-dropped-total",
                "Audited requests not counted in any event because the aggregation table was full", this::requestsDropped);
        add(metrics, "audit-requests-collapsed-total",
                "Audited requests counted under their client's wildcard key because the aggregation table was nearly full",
                this::requestsCollapsed);
        add(metrics, "audit-events-dropped-total",
                "Audit events dropped unpublished because the publish buffer was full (they were logged)", this::eventsDropped);
        add(metrics, "audit-events-published-total", "Audit events the audit topic acknowledged", this::eventsPublished);
        add(metrics, "audit-events-failed-total", "Audit events the producer failed to deliver (they were logged)", this::eventsFailed);
        add(metrics, "audit-events-pending", "Audit events waiting to be published", this::eventsPending);
    }

    private static void add(PluginMetrics metrics, String name, String description, LongSupplier value) {
        metrics.addMetric(metrics.metricName(name, description, new LinkedHashMap<>()),
                (Gauge<Long>) (config, now) -> value.getAsLong());
    }
}
