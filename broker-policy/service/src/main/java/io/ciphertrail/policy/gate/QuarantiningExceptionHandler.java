package io.ciphertrail.policy.gate;

import io.ciphertrail.policy.PolicyServiceConfig;
import io.ciphertrail.policy.delivery.OutputUnavailableException;
import io.ciphertrail.policy.delivery.ProducerLimits;
import io.ciphertrail.policy.delivery.TopicCatalog;
import io.ciphertrail.policy.delivery.TopicInfo;
import io.ciphertrail.policy.delivery.WriteFailures;
import io.ciphertrail.policy.quarantine.QuarantineCopy;
import io.ciphertrail.policy.quarantine.QuarantineReason;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' deserialization, processing and production exception handlers for the service.
 *
 * <ul>
 *   <li>A record that cannot be read or processed is written to the quarantine topic in the same
 *       transaction (a reference when it is too large to copy), and the service goes on.</li>
 *   <li>A failed send cannot be passed over: under exactly-once it has aborted the whole transaction. The
 *       gate checks every send first ({@link Destinations}), so this is a failure nobody could foresee (a
 *       topic deleted meanwhile, brokers down): it is recorded in {@link WriteFailures}, and the records since
 *       the last commit are processed again after the service's back-off: in place when Kafka calls the error
 *       retriable, on a new stream thread otherwise. Nothing is skipped.</li>
 *   <li>A missing quarantine or audit topic is found before anything is sent ({@link GateProcessor}).</li>
 * </ul>
 */
public final class QuarantiningExceptionHandler
        implements DeserializationExceptionHandler, ProcessingExceptionHandler, ProductionExceptionHandler {
    /** Not a setting: the service hands its {@link WriteFailures} to the handlers under this key. */
    public static final String WRITE_FAILURES = "ciphertrail.internal.write.failures";
    private static final Logger LOG = LoggerFactory.getLogger(QuarantiningExceptionHandler.class);

    private String quarantineTopic;
    private int quarantineLimit;
    private WriteFailures failures;

    @Override
    public void configure(Map<String, ?> configs) {
        PolicyServiceConfig config = new PolicyServiceConfig(configs);
        quarantineTopic = config.getString(PolicyServiceConfig.QUARANTINE_TOPIC_CONFIG);
        // Sized without the topic view: the quarantine topic takes at least Kafka's default (the service creates it with more).
        quarantineLimit = ProducerLimits.of(configs).limitFor(new TopicInfo(quarantineTopic, TopicCatalog.KAFKA_DEFAULT_MAX_MESSAGE_BYTES, true));
        failures = configs.get(WRITE_FAILURES) instanceof WriteFailures given ? given : new WriteFailures(1_000, 60_000);
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                                                                Exception exception) {
        return DeserializationExceptionHandler.Response.resume(List.of(quarantine(context, "UNREADABLE", exception)));
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (OutputUnavailableException.isCauseOf(exception)) {
            LOG.error("{}; {}-{}@{} stays uncommitted and is tried again", exception.getMessage(), context.topic(), context.partition(),
                    context.offset());
            return ProcessingExceptionHandler.Response.fail();
        }
        return ProcessingExceptionHandler.Response.resume(List.of(quarantine(context, "GATE_ERROR", exception)));
    }

    @Override
    public ProductionExceptionHandler.Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                                                           Exception exception) {
        LOG.error("Writing to '{}' failed ({}); the transaction is aborted and the records since the last commit, {}-{}@{} among them,"
                + " are processed again after a back-off", record.topic(), exception.toString(), context.topic(), context.partition(),
                context.offset());
        if (exception instanceof RetriableException) {
            failures.failed(exception);
            return ProductionExceptionHandler.Response.retry();
        }
        return ProductionExceptionHandler.Response.fail();
    }

    @Override
    public ProductionExceptionHandler.Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record,
                                                                        Exception exception, SerializationExceptionOrigin origin) {
        // Nothing was sent, so the transaction is intact: quarantine the record and go on.
        return ProductionExceptionHandler.Response.resume(List.of(quarantine(context, "UNWRITABLE", exception)));
    }

    private ProducerRecord<byte[], byte[]> quarantine(ErrorHandlerContext context, String code, Exception exception) {
        LOG.warn("Quarantining {}-{}@{}: {} ({})", context.topic(), context.partition(), context.offset(), code, exception.toString());
        QuarantineReason reason = new QuarantineReason("", Violation.DELIVERY, code,
                exception.getClass().getSimpleName() + " while handling the record; see the service log",
                context.topic(), context.partition(), context.offset(), System.currentTimeMillis());
        QuarantineCopy copy = QuarantineCopy.of(context.sourceRawKey(), context.sourceRawValue(), context.headers(), reason, quarantineLimit);
        return new ProducerRecord<>(quarantineTopic, null, context.timestamp(), copy.key(), copy.value(), copy.headers());
    }
}
