package io.ciphertrail.policy.quarantine;

import io.ciphertrail.policy.delivery.OutputUnavailableException;
import io.ciphertrail.policy.delivery.RecordSize;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * What the gate writes to quarantine for one record: the record whole (key, value, headers) followed by
 * the reason headers when that fits the quarantine topic, and otherwise a reference to it (reason
 * {@value #TOO_LARGE_TO_COPY}: no value; the original key and headers when they fit; where the original is,
 * its size and digests). Quarantine never fails for size, so one record cannot stop the gate.
 *
 * @param reason    the reason the headers give: the one asked for, or {@value #TOO_LARGE_TO_COPY} for a reference
 * @param reference true for a reference, false for a whole copy
 */
public record QuarantineCopy(byte[] key, byte[] value, Headers headers, QuarantineReason reason, boolean reference) {
    public static final String TOO_LARGE_TO_COPY = "TOO_LARGE_TO_COPY";

    /**
     * @param limit the largest record the quarantine topic takes from the service
     */
    public static QuarantineCopy of(byte[] key, byte[] value, Headers original, QuarantineReason reason, int limit) {
        Headers whole = QuarantineHeaders.withReason(original, reason);
        if (RecordSize.of(key, value, whole) <= limit) {
            return new QuarantineCopy(key, value, whole, reason, false);
        }
        int recordBytes = RecordSize.of(key, value, original);
        OriginalReference facts = OriginalReference.of(recordBytes, key, value);
        QuarantineReason tooLarge = new QuarantineReason(reason.policy(), reason.rule(), TOO_LARGE_TO_COPY,
                reason.code() + ": " + reason.detail() + ". The record (" + recordBytes + " bytes) is too large to copy here (limit "
                        + limit + "), so this is a reference: the original stays at " + reason.sourceTopic() + "-" + reason.sourcePartition()
                        + "@" + reason.sourceOffset() + " until that topic's retention removes it; replay reads it from there",
                reason.sourceTopic(), reason.sourcePartition(), reason.sourceOffset(), reason.time());
        // Keep what fits, most useful first: the key (to find the record by), then the original headers (its trace).
        byte[][] keys = {key, key, null, null};
        Headers[] kept = {original, new RecordHeaders(), original, new RecordHeaders()};
        for (int i = 0; i < keys.length; i++) {
            Headers headers = QuarantineHeaders.withReference(kept[i], tooLarge, facts);
            if (RecordSize.of(keys[i], null, headers) <= limit) {
                return new QuarantineCopy(keys[i], null, headers, tooLarge, true);
            }
        }
        throw new OutputUnavailableException("The quarantine topic accepts records of at most " + limit + " bytes, too few even for"
                + " the reason headers; raise its max.message.bytes (docs/policy-service.md)");
    }
}
