package io.ciphertrail.policy.gate;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.TopicNameExtractor;

/**
 * One record the gate writes, with the topic it goes to: the record itself (to egress or quarantine)
 * or an audit event. Its serializer writes the bytes unchanged, so forwarded and quarantined records
 * leave the gate exactly as they arrived.
 */
public record GateOutput(String topic, byte[] bytes) {

    public static final TopicNameExtractor<byte[], GateOutput> TOPIC = (key, output, context) -> output.topic();

    public static Serde<GateOutput> serde() {
        Serializer<GateOutput> serializer = (topic, output) -> output == null ? null : output.bytes();
        return Serdes.serdeFrom(serializer, (topic, bytes) -> {
            throw new UnsupportedOperationException("gate output is written, never read back");
        });
    }
}
