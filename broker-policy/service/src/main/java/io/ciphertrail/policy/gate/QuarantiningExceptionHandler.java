package io.ciphertrail.policy.gate;

import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.policy.quarantine.QuarantineHeaders;
import io.ciphertrail.policy.quarantine.QuarantineReason;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' deserialization, processing and production exception handlers for the gate: a record
 * that cannot be read, processed or delivered to its egress topic is written to the quarantine topic
 * (original key, value and headers, plus reason headers) in the same transaction, and the service goes
 * on. Nothing is skipped silently. Only a failure to write the quarantine or audit topic itself stops
 * the service, leaving the record uncommitted in its ingress topic.
 */
public final class QuarantiningExceptionHandler
        implements DeserializationExceptionHandler, ProcessingExceptionHandler, ProductionExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(QuarantiningExceptionHandler.class);

    private String quarantineTopic;
    private String auditTopic;

    @Override
    public void configure(Map<String, ?> configs) {
        PolicyServiceConfig config = new PolicyServiceConfig(configs);
        quarantineTopic = config.getString(PolicyServiceConfig.QUARANTINE_TOPIC_CONFIG);
        auditTopic = config.getString(PolicyServiceConfig.AUDIT_TOPIC_CONFIG);
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                                                                Exception exception) {
        return DeserializationExceptionHandler.Response.resume(List.of(quarantine(context, "UNREADABLE", exception)));
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        return ProcessingExceptionHandler.Response.resume(List.of(quarantine(context, "GATE_ERROR", exception)));
    }

    @Override
    public ProductionExceptionHandler.Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                                                           Exception exception) {
        if (record.topic().equals(quarantineTopic) || record.topic().equals(auditTopic)) {
            LOG.error("Cannot write to '{}' ({}); stopping so the record stays in its ingress topic", record.topic(), exception.toString());
            return ProductionExceptionHandler.Response.fail();
        }
        return ProductionExceptionHandler.Response.resume(List.of(quarantine(context, "DELIVERY_FAILED", exception)));
    }

    @Override
    public ProductionExceptionHandler.Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record,
                                                                        Exception exception, SerializationExceptionOrigin origin) {
        return ProductionExceptionHandler.Response.resume(List.of(quarantine(context, "UNWRITABLE", exception)));
    }

    private ProducerRecord<byte[], byte[]> quarantine(ErrorHandlerContext context, String code, Exception exception) {
        LOG.warn("Quarantining {}-{}@{}: {} ({})", context.topic(), context.partition(), context.offset(), code, exception.toString());
        QuarantineReason reason = new QuarantineReason("", "delivery", code,
                exception.getClass().getSimpleName() + " while handling the record; see the service log",
                context.topic(), context.partition(), context.offset(), System.currentTimeMillis());
        return new ProducerRecord<>(quarantineTopic, null, context.timestamp(), context.sourceRawKey(), context.sourceRawValue(),
                QuarantineHeaders.withReason(context.headers(), reason));
    }
}
