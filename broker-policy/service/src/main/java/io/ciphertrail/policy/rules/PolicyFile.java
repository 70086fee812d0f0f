package io.ciphertrail.policy.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.ciphertrail.schemas.policy.Policy;
import io.ciphertrail.schemas.policy.RuleMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads and writes policy files:
 *
 * <pre>
 * policies:
 *   - name: orders
 *     from: orders.ingress          # or fromPattern: "(.+)\\.ingress" with to: "$1"
 *     to: orders
 *     maxRecordBytes: 1048576       # optional, default 1 MiB
 *     rules:                        # optional; a rule not listed is ENFORCE
 *       envelope: ENFORCE
 *       binding: ENFORCE
 *       trace: PERMISSIVE
 *       size: ENFORCE
 * </pre>
 *
 * Every problem is reported with the file, the policy and the field it concerns.
 */
public final class PolicyFile {
    private static final ObjectMapper YAML = new ObjectMapper(
            new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");
    private static final Set<String> FIELDS = Set.of("name", "from", "fromPattern", "to", "maxRecordBytes", "rules");
    private static final long DEFAULT_MAX_RECORD_BYTES = 1_048_576;

    private PolicyFile() {
    }

    public static List<Policy> read(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new PolicyFileException("Cannot read policy file " + file + ": " + e.getMessage(), e);
        }
    }

    public static List<Policy> parse(String yaml, String origin) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new PolicyFileException(origin + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""), e);
        }
        if (root == null || !root.path("policies").isArray()) {
            throw new PolicyFileException(origin + " has no 'policies:' list; see docs/policy-service.md for the format");
        }
        long now = System.currentTimeMillis();
        List<Policy> policies = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int index = 0;
        for (JsonNode node : root.get("policies")) {
            Policy policy = policy(node, origin + ": policies[" + index++ + "]", now);
            if (!names.add(policy.getName())) {
                throw new PolicyFileException(origin + ": policy name '" + policy.getName() + "' is used twice; names must be unique");
            }
            policies.add(policy);
        }
        return policies;
    }

    private static Policy policy(JsonNode node, String where, long version) {
        if (!node.isObject()) {
            throw new PolicyFileException(where + " must be a mapping with name, from (or fromPattern), to and rules");
        }
        for (Iterator<String> fields = node.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!FIELDS.contains(field)) {
                throw new PolicyFileException(where + ": unknown field '" + field + "'; fields are " + FIELDS);
            }
        }
        String name = text(node, "name", where);
        if (!NAME.matcher(name).matches()) {
            throw new PolicyFileException(where + ": name '" + name + "' may use only letters, digits, '.', '_' and '-'");
        }
        where = where + " ('" + name + "')";
        boolean isPattern = node.has("fromPattern");
        if (isPattern == node.has("from")) {
            throw new PolicyFileException(where + ": give exactly one of 'from' (a topic) or 'fromPattern' (a regular expression)");
        }
        String ingress = text(node, isPattern ? "fromPattern" : "from", where);
        String egress = text(node, "to", where);
        if (isPattern) {
            int groups;
            try {
                groups = Pattern.compile(ingress).matcher("").groupCount();
            } catch (PatternSyntaxException e) {
                throw new PolicyFileException(where + ": fromPattern is not a valid regular expression: " + e.getDescription(), e);
            }
            for (int i = 0; i + 1 < egress.length(); i++) {
                if (egress.charAt(i) == '$' && Character.isDigit(egress.charAt(i + 1)) && egress.charAt(i + 1) - '0' > groups) {
                    throw new PolicyFileException(where + ": 'to' uses $" + egress.charAt(i + 1) + " but fromPattern has only " + groups + " group(s)");
                }
            }
        } else if (ingress.equals(egress)) {
            throw new PolicyFileException(where + ": 'from' and 'to' are both '" + ingress + "'; a route must lead to another topic");
        }
        long maxBytes = node.has("maxRecordBytes") ? node.get("maxRecordBytes").asLong(-1) : DEFAULT_MAX_RECORD_BYTES;
        if (maxBytes <= 0) {
            throw new PolicyFileException(where + ": maxRecordBytes must be a positive number of bytes");
        }
        return Policy.newBuilder()
                .setName(name)
                .setIngress(ingress)
                .setIngressIsPattern(isPattern)
                .setEgress(egress)
                .setMaxRecordBytes(maxBytes)
                .setRules(rules(node.get("rules"), where))
                .setVersion(version)
                .build();
    }

    private static Map<String, RuleMode> rules(JsonNode node, String where) {
        Map<String, RuleMode> rules = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return rules;
        }
        if (!node.isObject()) {
            throw new PolicyFileException(where + ": rules must map rule names (" + Rule.ids() + ") to ENFORCE, PERMISSIVE or OFF");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            Rule rule;
            try {
                rule = Rule.of(entry.getKey());
            } catch (IllegalArgumentException e) {
                throw new PolicyFileException(where + ": " + e.getMessage());
            }
            // YAML 1.1 reads an unquoted OFF (or ON) as a boolean.
            JsonNode value = entry.getValue();
            String mode = value.isBoolean() ? (value.asBoolean() ? "ENFORCE" : "OFF") : value.asText().toUpperCase(Locale.ROOT);
            try {
                rules.put(rule.id(), RuleMode.valueOf(mode));
            } catch (IllegalArgumentException e) {
                throw new PolicyFileException(where + ": rules." + rule.id() + ": '" + entry.getValue().asText()
                        + "' is not a mode; use ENFORCE, PERMISSIVE or OFF");
            }
        }
        return rules;
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            throw new PolicyFileException(where + ": '" + field + "' is required and must be text");
        }
        return value.asText().trim();
    }

    /** Writes policies in the file format, so 'show' output can be edited and applied again. */
    public static String toYaml(List<Policy> policies) {
        ObjectNode root = YAML.createObjectNode();
        ArrayNode list = root.putArray("policies");
        for (Policy policy : policies) {
            ObjectNode node = list.addObject();
            node.put("name", policy.getName());
            node.put(policy.getIngressIsPattern() ? "fromPattern" : "from", policy.getIngress());
            node.put("to", policy.getEgress());
            node.put("maxRecordBytes", policy.getMaxRecordBytes());
            ObjectNode rules = node.putObject("rules");
            for (Rule rule : Rule.values()) {
                RuleMode mode = policy.getRules().get(rule.id());
                rules.put(rule.id(), (mode == null ? RuleMode.ENFORCE : mode).name());
            }
        }
        try {
            return YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
