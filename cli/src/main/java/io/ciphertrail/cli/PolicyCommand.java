package io.ciphertrail.cli;

import io.ciphertrail.policy.rules.PolicyFile;
import io.ciphertrail.policy.rules.PolicyTopic;
import io.ciphertrail.schemas.policy.Policy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Gate policies in the policies topic. */
@Command(name = "policy",
        description = "Publishes and shows the gate's policies (the compacted policies topic; running services apply changes at once).",
        subcommands = {PolicyCommand.Apply.class, PolicyCommand.Show.class})
final class PolicyCommand {

    abstract static class PolicyTopicCommand {
        @Mixin
        ClientSettings settings;

        @Option(names = "--policies-topic", defaultValue = PolicyTopic.DEFAULT_NAME, description = "Policies topic (default: ${DEFAULT-VALUE}).")
        String topic;

        @Spec
        CommandSpec spec;
    }

    @Command(name = "apply",
            description = "Makes the published policies exactly those in FILE (checked first; policies not in it are removed).")
    static final class Apply extends PolicyTopicCommand implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "YAML policy file (format: docs/policy-service.md).")
        Path file;

        @Option(names = "--dry-run", description = "Only check the file.")
        boolean dryRun;

        @Option(names = "--ingress-pattern", defaultValue = ".+\\.ingress",
                description = "The topics the gate reads (its ciphertrail.gate.ingress.pattern), for the route check (default: ${DEFAULT-VALUE}).")
        Pattern ingressPattern;

        @Override
        public Integer call() {
            List<Policy> policies = PolicyFile.read(file);
            if (dryRun) {
                spec.commandLine().getOut().println(file + " is valid: " + policies.size() + " policies");
                return 0;
            }
            Map<String, Object> admin = settings.kafka(LocalPlatform.ADMIN);
            Set<String> removed = PolicyTopic.apply(admin, topic, policies);
            spec.commandLine().getOut().println("Published " + policies.size() + " policies to " + topic
                    + (removed.isEmpty() ? "" : "; removed " + removed));
            for (String warning : RouteCheck.warnings(admin, policies, ingressPattern)) {
                spec.commandLine().getErr().println("Warning: " + warning);
            }
            spec.commandLine().getErr().flush();
            return 0;
        }
    }

    @Command(name = "show", description = "Prints the published policies as a policy file.")
    static final class Show extends PolicyTopicCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            List<Policy> policies = new ArrayList<>(PolicyTopic.read(settings.kafka(LocalPlatform.ADMIN), topic).values());
            spec.commandLine().getOut().print(PolicyFile.toYaml(policies));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
