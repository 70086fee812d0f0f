package io.ciphertrail.producer;

import io.ciphertrail.core.trace.TraceContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.util.Optional;

/** Reads the current OpenTelemetry span; only loaded when the OpenTelemetry API is present. */
final class OpenTelemetryTrace {
    private OpenTelemetryTrace() {
    }

    static Optional<TraceContext> current() {
        SpanContext span = Span.current().getSpanContext();
        if (!span.isValid()) {
            return Optional.empty();
        }
        return Optional.of(new TraceContext(span.getTraceId(), span.getSpanId(), span.getTraceFlags().asHex()));
    }
}
