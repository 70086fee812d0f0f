package io.ciphertrail.policy;

import io.ciphertrail.core.envelope.EnvelopeConfig;
import io.ciphertrail.policy.clients.AclBlocker;
import io.ciphertrail.policy.clients.InsecureClientMonitor;
import io.ciphertrail.policy.gate.Destinations;
import io.ciphertrail.policy.gate.Gate;
import io.ciphertrail.policy.gate.GateOutput;
import io.ciphertrail.policy.gate.GateProcessor;
import io.ciphertrail.policy.gate.GateTrail;
import io.ciphertrail.policy.metrics.ServiceMetrics;
import io.ciphertrail.policy.rules.PolicyBook;
import io.ciphertrail.policy.rules.PolicyUpdater;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * The service's Kafka Streams topology:
 * <ol>
 *   <li>the policies topic, read as a global table into the {@link PolicyBook} the gate consults;</li>
 *   <li>the gate: every record of the ingress topics, checked and written, unchanged, to its egress
 *       topic or to quarantine, with its trail, in one exactly-once transaction (stateless, so record
 *       headers survive, and the ingress partitions divide the work between instances and threads);</li>
 *   <li>the insecure-client monitor on the audit topic.</li>
 * </ol>
 */
final class PolicyTopology {
    private PolicyTopology() {
    }

    /**
     * @param destinations the gate's checked view of where it writes
     * @param clusterId    the cluster whose brokers' audit events the monitor trusts
     * @param blocker      places and lifts the monitor's DENY ACLs
     */
    static Topology build(PolicyServiceConfig config, Map<String, Object> clientConfigs, AtomicReference<PolicyBook> policies,
                          ServiceMetrics metrics, String applicationId, Destinations destinations, String clusterId, AclBlocker blocker) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PolicyUpdater.STORE), Serdes.String(), Serdes.ByteArray())
                        .withLoggingDisabled(),
                config.getString(PolicyServiceConfig.POLICIES_TOPIC_CONFIG),
                Consumed.with(Serdes.String(), Serdes.ByteArray()),
                () -> new PolicyUpdater(policies));

        Gate gate = new Gate(new EnvelopeConfig(clientConfigs), config.ingressPattern(), config.reservedTopics(applicationId));
        GateTrail trail = new GateTrail(config.getString(PolicyServiceConfig.TRAIL_TOPIC_CONFIG),
                "ciphertrail://policy-service/" + applicationId, config.getBoolean(PolicyServiceConfig.TRAIL_FULL_CONFIG), metrics);
        builder.stream(config.ingressPattern(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .process(() -> new GateProcessor(gate, policies, destinations, trail, metrics))
                .to(GateOutput.TOPIC, Produced.with(Serdes.ByteArray(), GateOutput.serde()));

        InsecureClientMonitor.addTo(builder, config, clusterId, blocker, metrics);
        return builder.build();
    }
}
