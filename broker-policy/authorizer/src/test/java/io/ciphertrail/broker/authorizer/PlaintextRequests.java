package io.ciphertrail.broker.authorizer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * One Kafka request at a time over a plain socket, as a client that skips TLS would send it: lets a
 * test reach each API directly, not only those a Kafka client happens to send first.
 */
final class PlaintextRequests implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final String clientId;
    private int correlationId;

    PlaintextRequests(String bootstrap, String clientId) {
        int colon = bootstrap.lastIndexOf(':');
        try {
            this.socket = new Socket(bootstrap.substring(0, colon), Integer.parseInt(bootstrap.substring(colon + 1)));
            socket.setSoTimeout(30_000);
            this.in = new DataInputStream(socket.getInputStream());
            this.out = new DataOutputStream(socket.getOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.clientId = clientId;
    }

    /** Sends the request at the newest stable version and returns the broker's answer. */
    AbstractResponse send(AbstractRequest.Builder<?> builder) {
        short version = builder.latestAllowedVersion();
        RequestHeader header = new RequestHeader(builder.apiKey(), version, clientId, ++correlationId);
        ByteBuffer request = builder.build(version).serializeWithHeader(header);
        try {
            out.writeInt(request.remaining());
            out.write(request.array(), request.arrayOffset() + request.position(), request.remaining());
            out.flush();
            byte[] response = new byte[in.readInt()];
            in.readFully(response);
            return AbstractResponse.parseResponse(ByteBuffer.wrap(response), header);
        } catch (IOException e) {
            throw new UncheckedIOException(builder.apiKey() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
