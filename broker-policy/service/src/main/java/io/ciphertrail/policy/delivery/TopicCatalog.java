package io.ciphertrail.policy.delivery;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cached view of the topics the service writes to: which exist, the largest record each accepts
 * ({@code max.message.bytes}) and whether the service may write to it. One background thread refreshes it
 * every {@code ciphertrail.topics.refresh.ms}; a topic the view does not know yet is looked up at once, but
 * at most once a second, so a new egress topic is found without waiting and a stream of records for a
 * missing one costs no admin call per record.
 *
 * <p>A topic is reported missing only when a listing younger than a second lacks it. When the cluster
 * cannot be asked, {@link #lookup} throws {@link OutputUnavailableException}: the record is retried, never
 * quarantined on a guess.
 */
public final class TopicCatalog implements AutoCloseable {
    /** Kafka's default {@code max.message.bytes}, assumed for a topic whose configuration the service may not read. */
    public static final int KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
    static final long MISS_REFRESH_MS = 1_000;
    private static final Logger LOG = LoggerFactory.getLogger(TopicCatalog.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

    /** One refresh: the topics listed, and what is known of those the service asked about. */
    private record Snapshot(Set<String> names, Map<String, TopicInfo> described, long takenAtMs) {
    }

    private final Admin admin;
    private final LongSupplier clock;
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    private final Set<String> warnedUnreadableConfig = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService refresher;
    private final List<Runnable> refreshed = new CopyOnWriteArrayList<>();
    private volatile Snapshot snapshot;
    private volatile boolean warnedUnreachable;

    public TopicCatalog(Admin admin, long refreshMs) {
        this(admin, refreshMs, System::currentTimeMillis);
    }

    TopicCatalog(Admin admin, long refreshMs, LongSupplier clock) {
        this.admin = admin;
        this.clock = clock;
        this.refresher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ciphertrail-topic-catalog");
            thread.setDaemon(true);
            return thread;
        });
        refresher.scheduleWithFixedDelay(this::refreshQuietly, refreshMs, refreshMs, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code listener} on the refresh thread after every scheduled refresh, with the new view in place. */
    public void onRefresh(Runnable listener) {
        refreshed.add(listener);
    }

    /** Asks about {@code topics} from now on, at every refresh. */
    public void watch(String... topics) {
        watched.addAll(List.of(topics));
    }

    /**
     * The topic, or empty when it does not exist (or the service may not see it).
     *
     * @throws OutputUnavailableException when the cluster cannot be asked
     */
    public Optional<TopicInfo> lookup(String topic) {
        Snapshot current = snapshot;
        if (current != null) {
            TopicInfo known = current.described().get(topic);
            if (known != null) {
                return Optional.of(known);
            }
            if (!current.names().contains(topic) && clock.getAsLong() - current.takenAtMs() < MISS_REFRESH_MS) {
                return Optional.empty();
            }
        }
        watched.add(topic);
        Snapshot fresh = refresh(current, topic);
        return fresh.names().contains(topic) ? Optional.ofNullable(fresh.described().get(topic)) : Optional.empty();
    }

    /**
     * Refreshes, unless another caller did since {@code seen} was taken and that view answers for {@code topic}:
     * callers queue here instead of each asking the cluster.
     */
    private synchronized Snapshot refresh(Snapshot seen, String topic) {
        Snapshot current = snapshot;
        if (current != null && current != seen && clock.getAsLong() - current.takenAtMs() < MISS_REFRESH_MS
                && (topic == null || current.described().containsKey(topic) || !current.names().contains(topic))) {
            return current;
        }
        try {
            Snapshot fresh = take();
            snapshot = fresh;
            if (warnedUnreachable) {
                warnedUnreachable = false;
                LOG.info("The topic view is up to date again");
            }
            return fresh;
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new OutputUnavailableException("Cannot list the cluster's topics to check where records go: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OutputUnavailableException("Interrupted while listing topics", e);
        }
    }

    private void refreshQuietly() {
        try {
            refresh(null, null);
        } catch (RuntimeException e) {
            if (!warnedUnreachable) {
                warnedUnreachable = true;
                LOG.warn("{}; keeping the last view and trying again", e.getMessage());
            }
            return;
        }
        for (Runnable listener : refreshed) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                LOG.error("A topic view listener failed: {}", e.toString());
            }
        }
    }

    private Snapshot take() throws ExecutionException, TimeoutException, InterruptedException {
        long now = clock.getAsLong();
        Set<String> names = admin.listTopics().names().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        List<String> present = watched.stream().filter(names::contains).toList();
        Map<String, TopicInfo> described = new HashMap<>();
        if (!present.isEmpty()) {
            Map<ConfigResource, KafkaFuture<Config>> configs = admin.describeConfigs(present.stream()
                    .map(topic -> new ConfigResource(ConfigResource.Type.TOPIC, topic)).toList()).values();
            Map<String, KafkaFuture<TopicDescription>> descriptions = admin.describeTopics(present,
                    new DescribeTopicsOptions().includeAuthorizedOperations(true)).topicNameValues();
            for (String topic : present) {
                Optional<TopicDescription> description = result(descriptions.get(topic), topic);
                if (description.isEmpty()) {
                    continue;
                }
                Set<AclOperation> allowed = description.get().authorizedOperations();
                boolean writable = allowed == null || allowed.contains(AclOperation.WRITE) || allowed.contains(AclOperation.ALL);
                described.put(topic, new TopicInfo(topic, maxMessageBytes(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic)), topic),
                        writable));
            }
        }
        return new Snapshot(Set.copyOf(names), Map.copyOf(described), now);
    }

    /** The description, or empty for a topic deleted since it was listed. */
    private static Optional<TopicDescription> result(KafkaFuture<TopicDescription> future, String topic)
            throws ExecutionException, TimeoutException, InterruptedException {
        try {
            return Optional.of(future.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private int maxMessageBytes(KafkaFuture<Config> future, String topic) throws TimeoutException, InterruptedException {
        try {
            ConfigEntry entry = future.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if (entry != null && entry.value() != null) {
                return Integer.parseInt(entry.value());
            }
        } catch (ExecutionException e) {
            if (warnedUnreadableConfig.add(topic)) {
                LOG.warn("Cannot read max.message.bytes of topic '{}' ({}); assuming Kafka's default {}. Grant the service"
                        + " DESCRIBE_CONFIGS on it so records are sized against its real limit", topic, e.getCause(),
                        KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
            }
        }
        return KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        admin.close(Duration.ofSeconds(5));
    }
}
