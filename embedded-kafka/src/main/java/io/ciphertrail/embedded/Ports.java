package io.ciphertrail.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports on the loopback interface for local nodes. */
final class Ports {
    private Ports() {
    }

    /** A port nothing listens on now (the operating system's choice). */
    static int free() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on the loopback interface: " + e.getMessage(), e);
        }
    }

    /** {@code preferred} when it is set and free, otherwise a free port. */
    static int preferred(int preferred) {
        if (preferred <= 0) {
            return free();
        }
        try (ServerSocket socket = new ServerSocket(preferred, 1, InetAddress.getLoopbackAddress())) {
            return preferred;
        } catch (IOException e) {
            return free();
        }
    }
}
