package io.ciphertrail.core.kms.remote;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.KekInfo;
import io.ciphertrail.core.kms.KekRef;
import java.time.Instant;
import java.util.List;

/**
 * Version 1 of the key service's API: JSON over HTTPS with mutual TLS, one {@code POST /v1/keys/<call>}
 * per operation, a {@link Request} in and a {@link Response} (or an {@link ErrorBody}) out. Binary
 * fields are base64. Key material travels only in {@link Response#key()}, only inside the TLS channel,
 * and never appears in {@code toString()}.
 */
public final class KeyServiceApi {
    /** Where every version 1 call lives; {@code /v1/certificates/} is kept for the workload CA. */
    public static final String PREFIX = "/v1/keys/";
    public static final String CONTENT_TYPE = "application/json";

    /** One mapper for both ends: unknown fields are ignored, so a newer peer's additions do not break an older one. */
    public static final ObjectMapper JSON = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private KeyServiceApi() {
    }

    /** The calls, each with the permission a key policy must grant for it. */
    public enum Call {
        RESOLVE("resolve", true),
        GENERATE_DATA_KEY("generate-data-key", true),
        UNWRAP("unwrap", true),
        DERIVE("derive", true),
        LIST("list", true),
        CREATE("create", false),
        ROTATE("rotate", false),
        DESTROY("destroy", false);

        private final String name;
        private final boolean retriable;

        Call(String name, boolean retriable) {
            this.name = name;
            this.retriable = retriable;
        }

        public String path() {
            return PREFIX + name;
        }

        /**
         * Whether the call may be sent again after a failure that may have happened after the server got it:
         * repeating a read or a data-key generation is harmless; repeating a rotation would add two versions.
         */
        public boolean retriable() {
            return retriable;
        }

        /** The call a request path names, if any. */
        public static java.util.Optional<Call> ofPath(String path) {
            for (Call call : values()) {
                if (call.path().equals(path)) {
                    return java.util.Optional.of(call);
                }
            }
            return java.util.Optional.empty();
        }
    }

    /** What a call names: an alias, a KEK version, a wrapped data key, a derivation purpose. */
    public record Request(String alias, Integer version, byte[] wrapped, String purpose) {
        public static Request alias(String alias) {
            return new Request(alias, null, null, null);
        }

        public static Request kek(KekRef kek) {
            return new Request(kek.alias(), kek.version(), null, null);
        }

        public static Request edek(Edek edek) {
            return new Request(edek.kek().alias(), edek.kek().version(), edek.wrapped(), null);
        }

        public static Request derive(KekRef kek, String purpose) {
            return new Request(kek.alias(), kek.version(), null, purpose);
        }

        public static Request none() {
            return new Request(null, null, null, null);
        }

        /** The KEK version named, or an error naming the missing field. */
        public KekRef kek() {
            if (alias == null || alias.isEmpty() || version == null) {
                throw new IllegalArgumentException("the request must name the KEK: 'alias' and 'version'");
            }
            return new KekRef(alias, version);
        }

        @Override
        public String toString() {
            return "Request[alias=" + alias + ", version=" + version + (wrapped == null ? "" : ", wrapped=" + wrapped.length + " bytes")
                    + (purpose == null ? "" : ", purpose=" + purpose) + "]";
        }
    }

    /** What a call returns: a KEK version, a wrapped data key, key material (generate, unwrap, derive), or a list. */
    public record Response(String alias, Integer version, byte[] wrapped, byte[] key, List<KeyVersion> keys) {
        public static Response kek(KekRef kek) {
            return new Response(kek.alias(), kek.version(), null, null, null);
        }

        public static Response key(KekRef kek, byte[] wrapped, byte[] key) {
            return new Response(kek.alias(), kek.version(), wrapped, key, null);
        }

        public static Response list(List<KeyVersion> keys) {
            return new Response(null, null, null, null, keys);
        }

        public KekRef kek() {
            if (alias == null || version == null) {
                throw new IllegalArgumentException("the key service's answer names no KEK");
            }
            return new KekRef(alias, version);
        }

        @Override
        public String toString() {
            return "Response[alias=" + alias + ", version=" + version + (key == null ? "" : ", key=(hidden)")
                    + (keys == null ? "" : ", " + keys.size() + " keys") + "]";
        }
    }

    /** One KEK version in a list: never key material. {@code created} is epoch milliseconds, absent where the backend keeps none. */
    public record KeyVersion(String alias, int version, String state, Long created) {
        public static KeyVersion of(KekInfo info) {
            return new KeyVersion(info.ref().alias(), info.ref().version(), info.state().name(),
                    info.created() == null ? null : info.created().toEpochMilli());
        }

        public KekInfo info() {
            return new KekInfo(new KekRef(alias, version), KekInfo.State.valueOf(state), created == null ? null : Instant.ofEpochMilli(created));
        }
    }

    /** A refused or failed call: a {@link KmsError} code and a message naming the key and the fix, never key material. */
    public record ErrorBody(String error, String message) {
    }
}
