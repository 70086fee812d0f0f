package io.ciphertrail.policy.delivery;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.utils.ByteUtils;
import org.apache.kafka.common.utils.Utils;

/**
 * The size of a record in a batch of its own, as Kafka counts it against {@code max.request.size} (the
 * producer) and {@code max.message.bytes} (the broker): the record batch header, the record's largest
 * possible varint overhead, its key, value and every header. The producer checks exactly this bound before
 * it sends; the broker checks the batch it receives, which is never larger (the service's producer does not
 * compress).
 */
public final class RecordSize {
    /** Record batch v2 header: base offset, length, leader epoch, magic, CRC, attributes, ..., record count. */
    static final int BATCH_OVERHEAD = 61;
    /** Largest record overhead besides key, value and headers: length, attributes, timestamp and offset deltas. */
    static final int MAX_RECORD_OVERHEAD = 21;
    private static final int NULL_SIZE = ByteUtils.sizeOfVarint(-1);

    private RecordSize() {
    }

    public static int of(byte[] key, byte[] value, Headers headers) {
        int size = BATCH_OVERHEAD + MAX_RECORD_OVERHEAD + bytes(key) + bytes(value);
        Header[] all = headers.toArray();
        size += ByteUtils.sizeOfVarint(all.length);
        for (Header header : all) {
            int keyLength = Utils.utf8Length(header.key());
            size += ByteUtils.sizeOfVarint(keyLength) + keyLength + bytes(header.value());
        }
        return size;
    }

    private static int bytes(byte[] field) {
        return field == null ? NULL_SIZE : ByteUtils.sizeOfVarint(field.length) + field.length;
    }
}
