package io.ciphertrail.policy.clients;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Insecure attempts counted in one window, and whether the last update crossed the threshold, so an
 * alert is raised exactly once per client and window.
 */
record WindowCount(long count, boolean crossed) {
    static final WindowCount ZERO = new WindowCount(0, false);

    WindowCount add(long attempts, long threshold) {
        long next = count + attempts;
        return new WindowCount(next, count < threshold && next >= threshold);
    }

    static Serde<WindowCount> serde() {
        return Serdes.serdeFrom(
                (topic, value) -> value == null ? null : ByteBuffer.allocate(9).putLong(value.count).put((byte) (value.crossed ? 1 : 0)).array(),
                (topic, bytes) -> bytes == null ? null : new WindowCount(ByteBuffer.wrap(bytes).getLong(), bytes[8] == 1));
    }
}
