package io.ciphertrail.trust.http;

import io.ciphertrail.core.kms.remote.KeyServiceApi;
import io.ciphertrail.core.kms.remote.KeyServiceApi.ErrorBody;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** How every API answer is written and every request body read: JSON, bounded, never cached, never echoed. */
final class Responses {
    private Responses() {
    }

    /** A request body larger than the limit, or one that did not arrive in time. */
    static final class BodyRefused extends Exception {
        private static final long serialVersionUID = 1L;

        BodyRefused(String message) {
            super(message, null, false, false);
        }
    }

    /** The body, at most {@code maxBytes} (a larger declared length is refused before anything is read). */
    static byte[] body(Request request, int maxBytes) throws BodyRefused, InterruptedException {
        long declared = request.getLength();
        if (declared > maxBytes) {
            throw new BodyRefused("the request has " + declared + " bytes; the limit is " + maxBytes + " (ciphertrail.trust.request.max.bytes)");
        }
        try {
            return Content.Source.asByteArrayAsync(request, maxBytes).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new BodyRefused("the request body could not be read within 30 s or exceeds " + maxBytes
                    + " bytes (ciphertrail.trust.request.max.bytes)");
        }
    }

    static boolean error(Response response, Callback callback, int status, String code, String message) {
        return json(response, callback, status, new ErrorBody(code, message));
    }

    /** Writes {@code body} as JSON; the bytes written from are zeroed once written (they may hold key material). */
    static boolean json(Response response, Callback callback, int status, Object body) {
        byte[] bytes;
        try {
            bytes = KeyServiceApi.JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot encode a response", e);
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, KeyServiceApi.CONTENT_TYPE);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(bytes), Callback.from(() -> {
            Arrays.fill(bytes, (byte) 0);
            callback.succeeded();
        }, failure -> {
            Arrays.fill(bytes, (byte) 0);
            callback.failed(failure);
        }));
        return true;
    }
}
