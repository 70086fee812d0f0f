package io.ciphertrail.faults;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a {@link DeliveryLedger} counted.
 *
 * @param sent records handed to the producer
 * @param acknowledged records the producer's callback reported written (acks=all)
 * @param failed records the producer's callback reported failed
 * @param delivered distinct records consumers found
 * @param deliveredByTopic positions found per topic (egress and quarantine, for records through the gate)
 * @param lost acknowledged records no consumer found
 * @param duplicated records found at more than one position (written twice)
 * @param outOfOrder partitions where a record sits after a later-numbered one (the first such pair)
 * @param deliveredAfterFailure records reported failed that were written after all (a timeout can hide a success)
 * @param acknowledgedAndFailed records reported both ways (a producer bug if ever non-zero)
 * @param failures why each failed record failed
 */
public record DeliveryReport(long sent, long acknowledged, long failed, long delivered, Map<String, Long> deliveredByTopic,
                             List<Long> lost, List<Long> duplicated, List<String> outOfOrder, long deliveredAfterFailure,
                             long acknowledgedAndFailed, Map<Long, String> failures) {

    /** The counts on one line, and the first few numbers behind any loss, duplicate or disorder. */
    @Override
    public String toString() {
        return "sent " + sent + ", acknowledged " + acknowledged + ", failed " + failed + " (" + deliveredAfterFailure
                + " of them written after all), delivered " + delivered + " " + deliveredByTopic
                + ", lost " + lost.size() + first(lost) + ", duplicated " + duplicated.size() + first(duplicated)
                + ", out of order " + outOfOrder.size() + first(outOfOrder)
                + (failures.isEmpty() ? "" : ", first failure: " + failures.values().iterator().next());
    }

    private static String first(List<?> items) {
        return items.isEmpty() ? "" : " " + items.stream().limit(5).map(String::valueOf).collect(Collectors.joining(", ", "[", items.size() > 5 ? ", ...]" : "]"));
    }
}
