package io.ciphertrail.policy.delivery;

/**
 * What the service knows about a topic it writes to.
 *
 * @param maxMessageBytes the topic's {@code max.message.bytes} (the broker's default when not set on the topic)
 * @param writable        false when the brokers say the service may not write to it (no WRITE ACL)
 */
public record TopicInfo(String name, int maxMessageBytes, boolean writable) {
}
