package io.ciphertrail.core.envelope;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.config.ConfigException;

/**
 * The KEK alias a topic's record values are wrapped under: the alias template with the topic filled in
 * ({@code ciphertrail/topic/${topic}}), or, for topics an operator deliberately lets share one KEK, the
 * alias a mapping names. Writers wrap under this alias and readers accept nothing else ({@code WRONG_KEK}),
 * so a writer holding one topic's key cannot make records another topic's readers accept.
 *
 * <p>Readers check every record, so answers are kept per topic, with the fingerprints envelopes of version 2 carry.
 */
public final class KekAliases {
    private record Mapping(Pattern topics, String alias) {
    }

    private final String template;
    private final List<Mapping> mappings;
    private final Map<String, TopicBinding> resolved = new ConcurrentHashMap<>();
    /** The last answer: a reader mostly reads one topic after the other, and this spares it the map for every record. */
    private volatile TopicBinding last;

    /**
     * @param template  contains {@link EnvelopeConfig#TOPIC_PLACEHOLDER}
     * @param mappings  entries {@code TOPIC_REGEX=ALIAS}, first match wins, checked before the template
     * @param setting   the setting the mappings come from, for error messages
     */
    KekAliases(String template, List<String> mappings, String setting) {
        this.template = template;
        this.mappings = parse(mappings, setting);
    }

    /** The alias whose KEK wraps {@code topic}'s data keys. */
    public String valueAlias(String topic) {
        return binding(topic).kekAlias();
    }

    /** What {@code topic}'s records are bound to: the topic and {@link #valueAlias}, with their fingerprints. */
    public TopicBinding binding(String topic) {
        TopicBinding recent = last;
        if (recent != null && recent.topic().equals(topic)) {
            return recent;
        }
        TopicBinding binding = resolved.get(topic);
        if (binding == null) {
            String alias = mappings.stream().filter(m -> m.topics().matcher(topic).matches()).map(Mapping::alias).findFirst()
                    .orElseGet(() -> template.replace(EnvelopeConfig.TOPIC_PLACEHOLDER, topic));
            binding = new TopicBinding(topic, alias);
            resolved.put(topic, binding);
        }
        last = binding;
        return binding;
    }

    private static List<Mapping> parse(List<String> entries, String setting) {
        List<Mapping> parsed = new ArrayList<>();
        for (String entry : entries) {
            int equals = entry.indexOf('=');
            if (equals <= 0 || equals == entry.length() - 1) {
                throw new ConfigException(setting, entry, "entries are 'TOPIC_REGEX=KEK_ALIAS', e.g. 'orders|returns=ciphertrail/shared/commerce'");
            }
            String regex = entry.substring(0, equals).trim();
            String alias = entry.substring(equals + 1).trim();
            try {
                parsed.add(new Mapping(Pattern.compile(regex), alias));
            } catch (PatternSyntaxException e) {
                throw new ConfigException(setting, entry, "'" + regex + "' is not a valid regular expression: " + e.getDescription());
            }
        }
        return List.copyOf(parsed);
    }
}
