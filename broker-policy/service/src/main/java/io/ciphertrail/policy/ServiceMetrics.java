package io.ciphertrail.policy;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of what the service did, labelled the way operators slice them (route, reason, rule),
 * rendered in the Prometheus text format. Labels never carry record content: only policy names,
 * reason codes and rule names.
 */
public final class ServiceMetrics {
    /** A counter family: one name, one help text, any number of label sets. */
    private record Family(String help, Map<String, LongAdder> series) {
    }

    private final Map<String, Family> families = new ConcurrentHashMap<>();

    public void increment(String name, String help, String... labels) {
        families.computeIfAbsent(name, n -> new Family(help, new ConcurrentHashMap<>()))
                .series().computeIfAbsent(labelText(labels), l -> new LongAdder()).increment();
    }

    /** The current value of one series, 0 if it never counted. */
    public long value(String name, String... labels) {
        Family family = families.get(name);
        LongAdder adder = family == null ? null : family.series().get(labelText(labels));
        return adder == null ? 0 : adder.sum();
    }

    /** Prometheus text exposition of every counter plus the given gauges. */
    public String render(Map<String, Double> gauges) {
        StringBuilder out = new StringBuilder();
        new TreeMap<>(families).forEach((name, family) -> {
            out.append("# HELP ").append(name).append(' ').append(family.help()).append('\n');
            out.append("# TYPE ").append(name).append(" counter\n");
            new TreeMap<>(family.series()).forEach((labels, adder) ->
                    out.append(name).append(labels).append(' ').append(adder.sum()).append('\n'));
        });
        new TreeMap<>(gauges).forEach((name, value) -> {
            out.append("# TYPE ").append(name).append(" gauge\n");
            out.append(name).append(' ').append(Double.isNaN(value) ? "NaN" : value).append('\n');
        });
        return out.toString();
    }

    private static String labelText(String... labels) {
        if (labels.length == 0) {
            return "";
        }
        StringBuilder text = new StringBuilder("{");
        for (int i = 0; i + 1 < labels.length; i += 2) {
            if (i > 0) {
                text.append(',');
            }
            text.append(labels[i]).append("=\"").append(escape(labels[i + 1])).append('"');
        }
        return text.append('}').toString();
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
