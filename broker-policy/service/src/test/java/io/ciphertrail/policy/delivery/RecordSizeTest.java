package io.ciphertrail.policy.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.internal.AbstractRecords;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;

/** The gate's size of a record is the producer's, byte for byte, so a record that fits never fails to send. */
class RecordSizeTest {

    @Property(tries = 200)
    void equalsTheBoundKafkasProducerChecks(@ForAll @Size(max = 300) byte[] key, @ForAll @Size(max = 20_000) byte[] value,
                                            @ForAll @StringLength(max = 40) String headerKey, @ForAll @Size(max = 3) java.util.List<@Size(max = 200) byte[]> headerValues) {
        RecordHeaders headers = new RecordHeaders();
        headerValues.forEach(v -> headers.add(headerKey, v));
        headers.add("nullable", null);
        assertThat(RecordSize.of(key, value, headers)).isEqualTo(kafka(key, value, headers));
        assertThat(RecordSize.of(null, null, headers)).isEqualTo(kafka(null, null, headers));
    }

    @Test
    void countsMultiByteHeaderNamesAsUtf8() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("trace-ünïcode", "x".getBytes(StandardCharsets.UTF_8));
        assertThat(RecordSize.of(new byte[3], new byte[1 << 20], headers)).isEqualTo(kafka(new byte[3], new byte[1 << 20], headers));
    }

    private static int kafka(byte[] key, byte[] value, RecordHeaders headers) {
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE, key, value, headers.toArray());
    }
}
