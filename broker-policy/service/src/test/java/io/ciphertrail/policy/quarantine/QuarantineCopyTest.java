package io.ciphertrail.policy.quarantine;

import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.policy.delivery.RecordSize;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** What the gate writes to quarantine: whole when it fits, a reference when not, and its own headers told apart from a producer's. */
class QuarantineCopyTest {
    private static final QuarantineReason REASON = new QuarantineReason("orders", "envelope", "NOT_ENCRYPTED", "not a Ciphertrail envelope",
            "orders.ingress", 2, 41, 1_700_000_000_000L);

    @Test
    void aRecordThatFitsIsCopiedWholeWithTheReasonsAfterItsOwnHeaders() {
        Headers own = headers("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        byte[] value = new byte[1_000];
        QuarantineCopy copy = QuarantineCopy.of("k".getBytes(StandardCharsets.UTF_8), value, own, REASON, 1_048_576);
        assertThat(copy.reference()).isFalse();
        assertThat(copy.value()).isSameAs(value);
        QuarantinedRecord read = QuarantinedRecord.of(record(copy));
        assertThat(read.reason()).isEqualTo(REASON);
        assertThat(read.reference()).isEmpty();
        assertThat(read.originalHeaders().toArray()).isEqualTo(own.toArray());
        assertThat(read.origin()).isEqualTo("orders.ingress-2@41");
    }

    @Test
    void aRecordTooLargeToCopyBecomesAReferenceThatAlwaysFits() {
        byte[] key = "order-7".getBytes(StandardCharsets.UTF_8);
        byte[] value = new byte[2_000_000];
        Arrays.fill(value, (byte) 'x');
        Headers own = headers("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        int limit = 1_114_112;
        QuarantineCopy copy = QuarantineCopy.of(key, value, own, REASON, limit);
        assertThat(copy.reference()).isTrue();
        assertThat(copy.reason().code()).isEqualTo(QuarantineCopy.TOO_LARGE_TO_COPY);
        assertThat(copy.value()).isNull();
        assertThat(copy.key()).isEqualTo(key);
        assertThat(RecordSize.of(copy.key(), copy.value(), copy.headers())).isLessThanOrEqualTo(limit);

        QuarantinedRecord read = QuarantinedRecord.of(record(copy));
        assertThat(read.reason().code()).isEqualTo(QuarantineCopy.TOO_LARGE_TO_COPY);
        assertThat(read.reason().rule()).isEqualTo("envelope");
        assertThat(read.reason().detail()).startsWith("NOT_ENCRYPTED: ").contains("orders.ingress-2@41");
        assertThat(read.originalHeaders().toArray()).isEqualTo(own.toArray());
        OriginalReference reference = read.reference().orElseThrow();
        assertThat(reference.recordBytes()).isEqualTo(RecordSize.of(key, value, own));
        assertThat(reference.valueBytes()).isEqualTo(2_000_000);
        assertThat(reference.matches(key, value)).isTrue();
        value[1_999_999] = 'y';
        assertThat(reference.matches(key, value)).isFalse();

        // A key too large to keep is left out too; the reference still fits and still identifies the original by digest.
        byte[] hugeKey = new byte[1_200_000];
        QuarantineCopy bare = QuarantineCopy.of(hugeKey, value, own, REASON, limit);
        assertThat(bare.key()).isNull();
        assertThat(QuarantinedRecord.of(record(bare)).reference().orElseThrow().matches(hugeKey, value)).isTrue();
    }

    @Test
    void headersAProducerNamedLikeTheGatesAreTheRecordsOwnAndNeverItsReasons() {
        Headers forged = headers(QuarantineHeaders.REASON, "FORGED", QuarantineHeaders.SOURCE_TOPIC, "orders", QuarantineHeaders.ORIGINAL_HEADERS, "0");
        QuarantineCopy copy = QuarantineCopy.of(null, new byte[10], forged, REASON, 1_048_576);
        QuarantinedRecord read = QuarantinedRecord.of(record(copy));
        assertThat(read.reason()).isEqualTo(REASON);
        assertThat(read.originalHeaders().toArray()).isEqualTo(forged.toArray());
    }

    private static Headers headers(String... keysAndValues) {
        Headers headers = new RecordHeaders();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            headers.add(keysAndValues[i], keysAndValues[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return headers;
    }

    private static ConsumerRecord<byte[], byte[]> record(QuarantineCopy copy) {
        return new ConsumerRecord<>("ciphertrail.quarantine", 0, 5, 1L, TimestampType.CREATE_TIME, -1, -1, copy.key(), copy.value(),
                copy.headers(), java.util.Optional.empty());
    }
}
