package io.ciphertrail.trust.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ciphertrail.trust.policy.KeyPolicy.Mode;
import io.ciphertrail.trust.policy.KeyPolicyRule.Effect;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads key policy files:
 *
 * <pre>
 * mode: ENFORCE                       # or DRY_RUN: deny nothing, audit what would be denied
 * rules:
 *   - name: orders-writer
 *     principals: [User:orders-service]
 *     keys: [ciphertrail/topic/orders, ciphertrail/topic/orders/record-key]
 *     operations: [ENCRYPT, DERIVE]
 *   - name: no-contractors-on-payments
 *     effect: DENY                    # ALLOW (default) or DENY; an enforced DENY wins
 *     mode: DRY_RUN                   # DENY rules only: audit what it would deny, deny nothing
 *     principals: ["User:contractor-*"]
 *     keys: ["ciphertrail/topic/payments*"]
 *     operations: [DECRYPT]
 * </pre>
 *
 * Every problem is reported with the file, the rule (index and name) and the field, and what to write instead.
 */
public final class KeyPolicyFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Set<String> TOP_FIELDS = Set.of("mode", "rules");
    private static final Set<String> RULE_FIELDS = Set.of("name", "effect", "mode", "principals", "keys", "operations");

    private KeyPolicyFile() {
    }

    public static KeyPolicy parse(String yaml, String origin) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new KeyPolicyException(origin + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""), e);
        }
        if (root == null || !root.isObject() || !root.path("rules").isArray()) {
            throw new KeyPolicyException(origin + " has no 'rules:' list; see docs/key-management.md for the format");
        }
        unknownFields(root, TOP_FIELDS, origin);
        Mode mode = enumValue(root.get("mode"), Mode.class, Mode.ENFORCE, origin + ": mode");
        List<KeyPolicyRule> rules = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int index = 0;
        for (JsonNode node : root.get("rules")) {
            KeyPolicyRule rule = rule(node, origin + ": rules[" + index++ + "]");
            if (!names.add(rule.name())) {
                throw new KeyPolicyException(origin + ": rule name '" + rule.name() + "' is used twice; names must be unique"
                        + " (the audit trail names the rule that decided)");
            }
            rules.add(rule);
        }
        return new KeyPolicy(mode, rules, origin);
    }

    private static KeyPolicyRule rule(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new KeyPolicyException(where + " must be a mapping with name, principals, keys and operations");
        }
        JsonNode nameNode = node.get("name");
        if (nameNode == null || !nameNode.isTextual() || !NAME.matcher(nameNode.asText()).matches()) {
            throw new KeyPolicyException(where + ": 'name' is required: letters, digits, '.', '_' and '-', at most 128");
        }
        String name = nameNode.asText();
        where = where + " ('" + name + "')";
        unknownFields(node, RULE_FIELDS, where);
        Effect effect = enumValue(node.get("effect"), Effect.class, Effect.ALLOW, where + ": effect");
        Mode mode = enumValue(node.get("mode"), Mode.class, Mode.ENFORCE, where + ": mode");
        if (mode == Mode.DRY_RUN && effect == Effect.ALLOW) {
            throw new KeyPolicyException(where + ": mode DRY_RUN is for DENY rules (a DRY_RUN ALLOW rule would allow nothing)."
                    + " To preview a narrower grant, add a DENY rule in DRY_RUN for what you mean to take away,"
                    + " or set the whole policy's mode to DRY_RUN");
        }
        List<String> principals = texts(node, "principals", where);
        for (String principal : principals) {
            if (!principal.equals("*") && principal.indexOf(':') <= 0) {
                throw new KeyPolicyException(where + ": principals: '" + principal + "' has no type; write it as the brokers"
                        + " see it, e.g. User:" + principal);
            }
        }
        List<String> keys = texts(node, "keys", where);
        Set<KeyPermission> operations = EnumSet.noneOf(KeyPermission.class);
        for (String operation : texts(node, "operations", where)) {
            try {
                operations.add(KeyPermission.valueOf(operation.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new KeyPolicyException(where + ": operations: '" + operation + "' is not an operation; use ENCRYPT,"
                        + " DECRYPT, DERIVE or ADMIN");
            }
        }
        return new KeyPolicyRule(name, effect, mode == Mode.DRY_RUN, principals, keys, operations);
    }

    private static List<String> texts(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        List<String> texts = new ArrayList<>();
        if (value != null && value.isTextual()) {
            texts.add(value.asText().trim());
        } else if (value != null && value.isArray()) {
            for (JsonNode item : value) {
                if (!item.isTextual() || item.asText().isBlank()) {
                    throw new KeyPolicyException(where + ": " + field + " must be a list of text, found " + item);
                }
                texts.add(item.asText().trim());
            }
        }
        if (texts.isEmpty()) {
            throw new KeyPolicyException(where + ": '" + field + "' is required: a non-empty list");
        }
        return texts;
    }

    private static <E extends Enum<E>> E enumValue(JsonNode node, Class<E> type, E defaultValue, String where) {
        if (node == null || node.isNull()) {
            return defaultValue;
        }
        try {
            return Enum.valueOf(type, node.asText().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new KeyPolicyException(where + ": '" + node.asText() + "' is not one of " + java.util.Arrays.toString(type.getEnumConstants()));
        }
    }

    private static void unknownFields(JsonNode node, Set<String> known, String where) {
        for (Iterator<String> fields = node.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!known.contains(field)) {
                throw new KeyPolicyException(where + ": unknown field '" + field + "'; fields are " + new java.util.TreeSet<>(known));
            }
        }
    }
}
