package io.ciphertrail.policy.gate;

import io.ciphertrail.policy.delivery.OutputUnavailableException;
import io.ciphertrail.policy.metrics.ServiceMetrics;
import io.ciphertrail.policy.quarantine.QuarantineCopy;
import io.ciphertrail.policy.quarantine.QuarantineReason;
import io.ciphertrail.policy.rules.PolicyBook;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the {@link Gate} to every ingress record and sends it on: to its egress topic with the same
 * key, value, headers and timestamp, or to the quarantine topic with its original key, value, headers
 * and timestamp plus reason headers (a reference when it is too large to copy). Every send is checked
 * first ({@link Destinations}) so none fails for a reason known in advance; a record that cannot reach its
 * egress topic is quarantined. Stateless, so record headers survive. The gate never drops a record: when
 * the quarantine or audit topic cannot be written, the service pauses before any record meets it
 * ({@link io.ciphertrail.policy.delivery.OutputWatch}); a record that meets it all the same writes nothing and
 * stops its thread, whose transaction is aborted, and a new thread processes it again after a back-off. Each record
 * leaves at most one record on the trail ({@link GateTrail}).
 */
public final class GateProcessor implements Processor<byte[], byte[], byte[], GateOutput> {
    private static final Logger LOG = LoggerFactory.getLogger(GateProcessor.class);

    private final Gate gate;
    private final AtomicReference<PolicyBook> policies;
    private final Destinations destinations;
    private final GateTrail trail;
    private final ServiceMetrics metrics;
    private ProcessorContext<byte[], GateOutput> context;

    public GateProcessor(Gate gate, AtomicReference<PolicyBook> policies, Destinations destinations, GateTrail trail, ServiceMetrics metrics) {
        this.gate = gate;
        this.policies = policies;
        this.destinations = destinations;
        this.trail = trail;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], GateOutput> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        int quarantineLimit = destinations.requireQuarantineAndTrail();
        Verdict verdict;
        Headers forwardHeaders = record.headers();
        try {
            verdict = gate.check(source.topic(), record.headers(), record.key(), record.value(), policies.get());
            if (verdict.forwarded()) {
                if (verdict.assignedTrace().isPresent()) {
                    forwardHeaders = new RecordHeaders(record.headers().toArray());
                    verdict.assignedTrace().get().writeTo(forwardHeaders);
                }
                Optional<Violation> undeliverable = destinations.egressProblem(verdict.route().orElseThrow().egressTopic(),
                        record.key(), record.value(), forwardHeaders);
                if (undeliverable.isPresent()) {
                    verdict = verdict.quarantinedFor(undeliverable.get());
                }
            }
        } catch (OutputUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.error("Gate failed on {}-{}@{}; quarantining it", source.topic(), source.partition(), source.offset(), e);
            verdict = GateTrail.failed(e);
        }
        String policy = verdict.policyName();
        ServiceMetrics.PolicyCounters counters = metrics.policy(policy);
        counters.checked().inc();
        for (Violation warning : verdict.warnings()) {
            metrics.warning(policy, warning.ruleName(), warning.code());
        }

        if (verdict.forwarded()) {
            String egress = verdict.route().orElseThrow().egressTopic();
            context.forward(record.withHeaders(forwardHeaders).withValue(new GateOutput(egress, record.value())));
            counters.forwarded().inc();
        } else {
            Violation violation = verdict.quarantine().get();
            QuarantineCopy copy = QuarantineCopy.of(record.key(), record.value(), record.headers(), new QuarantineReason(policy,
                    violation.ruleName(), violation.code(), violation.detail(), source.topic(), source.partition(), source.offset(),
                    context.currentSystemTimeMs()), quarantineLimit);
            if (copy.reference()) {
                LOG.warn("{}-{}@{} is too large to copy into quarantine ({}); quarantined as a reference, the original stays in {}",
                        source.topic(), source.partition(), source.offset(), violation.code(), source.topic());
                violation = new Violation(violation.rule(), violation.ruleName(), copy.reason().code(), copy.reason().detail());
                verdict = verdict.quarantinedFor(violation);
            }
            context.forward(record.withKey(copy.key()).withHeaders(copy.headers())
                    .withValue(new GateOutput(destinations.quarantineTopic(), copy.value())));
            metrics.quarantined(policy, violation.ruleName(), violation.code());
        }
        trail.record(context, source, verdict);
    }
}
