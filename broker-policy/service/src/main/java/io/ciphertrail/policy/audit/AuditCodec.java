package io.ciphertrail.policy.audit;

import io.ciphertrail.schemas.PlatformSchemas;
import io.ciphertrail.schemas.audit.AuditEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Optional;

/** Audit events on the wire: Avro single-object encoding, as the broker authorizer writes them. */
public final class AuditCodec {
    static {
        PlatformSchemas.trust();
    }

    private AuditCodec() {
    }

    public static byte[] encode(AuditEvent event) {
        try {
            return TrailCodec.bytes(event.toByteBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode audit event " + event.getId(), e);
        }
    }

    /** The event, or empty for bytes that are not an audit event of a known schema. */
    public static Optional<AuditEvent> decode(byte[] bytes) {
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(AuditEvent.fromByteBuffer(ByteBuffer.wrap(bytes)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
