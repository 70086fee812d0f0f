package io.ciphertrail.producer;

import io.ciphertrail.core.trace.TraceContext;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;

/**
 * Gives every record a W3C {@code traceparent}: the one it already has if well formed, else the
 * current OpenTelemetry span's (when the OpenTelemetry API is on the class path), else a new trace.
 */
public final class TraceStamper {
    private static final boolean OPEN_TELEMETRY = present("io.opentelemetry.api.trace.Span");

    private TraceStamper() {
    }

    /** Makes sure {@code headers} carries a trace and returns it. */
    public static TraceContext ensure(Headers headers) {
        Optional<TraceContext> existing = TraceContext.fromHeaders(headers);
        if (existing.isPresent()) {
            return existing.get();
        }
        TraceContext trace = (OPEN_TELEMETRY ? OpenTelemetryTrace.current() : Optional.<TraceContext>empty())
                .orElseGet(TraceContext::newTrace);
        trace.writeTo(headers);
        return trace;
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, TraceStamper.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
