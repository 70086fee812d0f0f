package io.ciphertrail.core.config;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** Validates a {@code LIST} setting whose entries are Java regular expressions (topic selections). */
public final class PatternList implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
        for (Object pattern : (List<?>) value) {
            try {
                Pattern.compile(pattern.toString());
            } catch (PatternSyntaxException e) {
                throw new ConfigException(name, pattern, "not a valid regular expression: " + e.getDescription());
            }
        }
    }

    @Override
    public String toString() {
        return "a list of Java regular expressions";
    }
}
