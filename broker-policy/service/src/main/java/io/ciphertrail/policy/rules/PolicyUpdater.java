package io.ciphertrail.policy.rules;

import io.ciphertrail.schemas.policy.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global policy table and the service's {@link PolicyBook} in step: every record of the
 * policies topic updates the store and swaps in a new book, so a published change applies to running
 * gates within moments, without a restart. A record that is not a policy is logged and ignored; the
 * policies in force stay as they were.
 */
public final class PolicyUpdater implements Processor<String, byte[], Void, Void> {
    public static final String STORE = "ciphertrail-policies";
    private static final Logger LOG = LoggerFactory.getLogger(PolicyUpdater.class);

    private final AtomicReference<PolicyBook> book;
    private KeyValueStore<String, byte[]> store;

    public PolicyUpdater(AtomicReference<PolicyBook> book) {
        this.book = book;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(STORE);
        rebuild();
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            LOG.error("Ignoring a record without a key in the policies topic; policies are keyed by name");
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
            LOG.info("Policy '{}' removed", record.key());
        } else {
            try {
                Policy policy = PolicyTopic.decode(record.value());
                store.put(record.key(), record.value());
                LOG.info("Policy '{}' in force: {} -> {}", policy.getName(), policy.getIngress(), policy.getEgress());
            } catch (RuntimeException e) {
                LOG.error("Ignoring record '{}' in the policies topic: {}; the policies in force are unchanged", record.key(), e.getMessage());
                return;
            }
        }
        rebuild();
    }

    private void rebuild() {
        List<Policy> policies = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            all.forEachRemaining(entry -> {
                try {
                    policies.add(PolicyTopic.decode(entry.value));
                } catch (RuntimeException e) {
                    LOG.error("Skipping unreadable stored policy '{}': {}", entry.key, e.getMessage());
                }
            });
        }
        book.set(new PolicyBook(policies));
    }
}
