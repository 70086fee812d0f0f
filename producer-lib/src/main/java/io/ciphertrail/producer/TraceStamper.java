package io.ciphertrail.producer;

import io.ciphertrail.core.trace.TraceContext;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Gives every record a W3C {@code traceparent}: the one it already has if well formed, else the one a secure
 * serializer just moved into the envelope of the same record (Kafka Streams serializes one record once per sink,
 * with the same headers), else the current OpenTelemetry span's (when the OpenTelemetry API is on the class path),
 * else a new trace.
 */
public final class TraceStamper {
    private static final boolean OPEN_TELEMETRY = present("io.opentelemetry.api.trace.Span");

    /** The last headers whose {@code traceparent} was moved into an envelope on this thread, and its value. */
    private static final class Moved {
        Headers headers;
        byte[] value;
    }

    private static final ThreadLocal<Moved> MOVED = ThreadLocal.withInitial(Moved::new);

    private TraceStamper() {
    }

    /** Makes sure {@code headers} carries a trace and returns it. */
    public static TraceContext ensure(Headers headers) {
        Optional<TraceContext> existing = TraceContext.fromHeaders(headers);
        if (existing.isPresent()) {
            return existing.get();
        }
        Moved moved = MOVED.get();
        if (moved.headers == headers) {
            headers.add(TraceContext.HEADER, moved.value);
            return TraceContext.fromHeaders(headers).orElseThrow();
        }
        TraceContext trace = (OPEN_TELEMETRY ? OpenTelemetryTrace.current() : Optional.<TraceContext>empty())
                .orElseGet(TraceContext::newTrace);
        trace.writeTo(headers);
        return trace;
    }

    /**
     * Removes the {@code traceparent} header once the envelope (or delete proof) binds the trace, remembering it for
     * another serialization of the same headers on this thread.
     */
    static void moveIntoEnvelope(Headers headers) {
        Header header = headers.lastHeader(TraceContext.HEADER);
        if (header != null) {
            Moved moved = MOVED.get();
            moved.headers = headers;
            moved.value = header.value();
            headers.remove(TraceContext.HEADER);
        }
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
