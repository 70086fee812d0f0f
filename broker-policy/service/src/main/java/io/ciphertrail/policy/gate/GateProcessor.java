package io.ciphertrail.policy.gate;

import io.ciphertrail.policy.ServiceMetrics;
import io.ciphertrail.policy.quarantine.QuarantineHeaders;
import io.ciphertrail.policy.quarantine.QuarantineReason;
import io.ciphertrail.policy.rules.PolicyBook;
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
 * and timestamp plus reason headers. Stateless, so record headers survive. Any unexpected failure
 * quarantines the record too: the gate never drops one and never stops on one.
 */
public final class GateProcessor implements Processor<byte[], byte[], byte[], GateOutput> {
    private static final Logger LOG = LoggerFactory.getLogger(GateProcessor.class);

    private final Gate gate;
    private final AtomicReference<PolicyBook> policies;
    private final String quarantineTopic;
    private final GateAudit audit;
    private final ServiceMetrics metrics;
    private ProcessorContext<byte[], GateOutput> context;

    public GateProcessor(Gate gate, AtomicReference<PolicyBook> policies, String quarantineTopic, GateAudit audit, ServiceMetrics metrics) {
        this.gate = gate;
        this.policies = policies;
        this.quarantineTopic = quarantineTopic;
        this.audit = audit;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], GateOutput> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        Verdict verdict;
        try {
            verdict = gate.check(source.topic(), record.headers(), record.key(), record.value(), policies.get());
        } catch (RuntimeException e) {
            LOG.error("Gate failed on {}-{}@{}; quarantining it", source.topic(), source.partition(), source.offset(), e);
            verdict = GateAudit.failed(e);
        }
        String policy = verdict.policyName();
        metrics.increment("ciphertrail_gate_records_checked_total", "Records the gate checked", "policy", policy);
        verdict.warnings().forEach(warning -> metrics.increment("ciphertrail_gate_warnings_total",
                "Violations of permissive rules (forwarded anyway)", "policy", policy, "rule", warning.ruleName(), "reason", warning.code()));

        if (verdict.forwarded()) {
            Headers headers = record.headers();
            if (verdict.assignedTrace().isPresent()) {
                headers = new RecordHeaders(headers.toArray());
                verdict.assignedTrace().get().writeTo(headers);
            }
            String egress = verdict.route().orElseThrow().egressTopic();
            context.forward(record.withHeaders(headers).withValue(new GateOutput(egress, record.value())));
            metrics.increment("ciphertrail_gate_records_forwarded_total", "Records forwarded to their egress topic", "policy", policy);
        } else {
            Violation violation = verdict.quarantine().get();
            QuarantineReason reason = new QuarantineReason(policy, violation.ruleName(), violation.code(), violation.detail(),
                    source.topic(), source.partition(), source.offset(), context.currentSystemTimeMs());
            context.forward(record.withHeaders(QuarantineHeaders.withReason(record.headers(), reason))
                    .withValue(new GateOutput(quarantineTopic, record.value())));
            metrics.increment("ciphertrail_gate_records_quarantined_total", "Records quarantined",
                    "policy", policy, "rule", violation.ruleName(), "reason", violation.code());
        }
        audit.record(context, record, source, verdict);
    }
}
