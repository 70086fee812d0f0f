package io.ciphertrail.cli;

import io.ciphertrail.policy.rules.PolicyFile;
import io.ciphertrail.policy.rules.PolicyTopic;
import io.ciphertrail.schemas.policy.Policy;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which policies a (re)started local platform puts in force. The home's policy file is published on the first start,
 * and again when it is what the topic holds; policies applied since from another file ({@code policy apply}) are
 * kept, never silently replaced by the file, and {@code up} says which it did.
 *
 * @param publishFile whether the policy service publishes the home's file at start
 * @param summary     what is in force, for the operator
 */
record PolicyPublication(boolean publishFile, String summary) {

    static PolicyPublication decide(Map<String, Object> admin, Path file, String homeArgument) {
        Map<String, Policy> fromFile = new TreeMap<>();
        PolicyFile.read(file).forEach(policy -> fromFile.put(policy.getName(), policy));
        Map<String, Policy> published = Topics.names(admin).contains(PolicyTopic.DEFAULT_NAME)
                ? PolicyTopic.read(admin, PolicyTopic.DEFAULT_NAME) : Map.of();
        if (published.isEmpty()) {
            return new PolicyPublication(true, "published the " + fromFile.size() + " policies of " + file);
        }
        if (published.equals(fromFile)) {
            return new PolicyPublication(true, "the " + fromFile.size() + " policies of " + file);
        }
        return new PolicyPublication(false, "kept the " + published.size() + " policies in force " + published.keySet()
                + " (applied with 'ciphertrail policy apply'); " + file + " differs and was not published"
                + " (to use it: ciphertrail policy apply " + file + homeArgument + ")");
    }
}
