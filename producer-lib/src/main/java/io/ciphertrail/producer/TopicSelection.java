package io.ciphertrail.producer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** Which topics are encrypted, and for which topic (the destination, or a gate's egress). */
final class TopicSelection {
    private final List<Pattern> include;
    private final List<Pattern> exclude;
    private final Map<String, String> boundTopics = new HashMap<>();
    private final Map<String, Boolean> decisions = new ConcurrentHashMap<>();

    TopicSelection(SecureProducerConfig config) {
        this.include = config.getList(SecureProducerConfig.ENCRYPT_INCLUDE_CONFIG).stream().map(Pattern::compile).toList();
        this.exclude = config.getList(SecureProducerConfig.ENCRYPT_EXCLUDE_CONFIG).stream().map(Pattern::compile).toList();
        for (String entry : config.getList(SecureProducerConfig.BOUND_TOPICS_CONFIG)) {
            String[] parts = entry.split(":");
            boundTopics.put(parts[0].trim(), parts[1].trim());
        }
    }

    boolean encrypts(String topic) {
        return decisions.computeIfAbsent(topic, t ->
                include.stream().anyMatch(p -> p.matcher(t).matches()) && exclude.stream().noneMatch(p -> p.matcher(t).matches()));
    }

    /** The topic a record sent to {@code topic} is encrypted for. */
    String boundTopic(String topic) {
        return boundTopics.getOrDefault(topic, topic);
    }
}
