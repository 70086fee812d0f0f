package io.ciphertrail.cli;

import io.ciphertrail.policy.PolicyServiceConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The audit trail: the brokers' authorization events and the key service's key uses (audit topic), and the gate's
 * record events (trail topic).
 */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Reads the audit trail.", subcommands = AuditCommand.Tail.class)
final class AuditCommand {

    @Command(name = "tail", mixinStandardHelpOptions = true,
            description = "Prints the latest audit events, one line each: refused and insecure requests, records through the gate,"
                    + " and key uses the key service allowed or denied.")
    static final class Tail implements Callable<Integer> {
        @Mixin
        ClientSettings settings;

        @Spec
        CommandSpec spec;

        @Option(names = "--audit-topic", defaultValue = PolicyServiceConfig.DEFAULT_AUDIT_TOPIC, description = "Audit topic (default: ${DEFAULT-VALUE}).")
        String topic;

        @Option(names = "--trail-topic", defaultValue = PolicyServiceConfig.DEFAULT_TRAIL_TOPIC,
                description = "The gate's trail topic (default: ${DEFAULT-VALUE}).")
        String trailTopic;

        @Option(names = {"-n", "--lines"}, defaultValue = "20", description = "How many of the latest events per partition (default: ${DEFAULT-VALUE}).")
        int lines;

        @Option(names = {"-f", "--follow"}, description = "Keep printing new events until Ctrl-C.")
        boolean follow;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            AuditReader.tail(settings.load(LocalPlatform.ADMIN), List.of(topic, trailTopic), lines, follow, event -> {
                out.println(AuditLines.line(event));
                out.flush();
            });
            return 0;
        }
    }
}
