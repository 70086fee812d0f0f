package io.ciphertrail.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The {@code ciphertrail} command. */
@Command(name = "ciphertrail",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Secure messaging on Apache Kafka: TLS-only transport, encryption at rest, trace IDs and an audit trail.",
        subcommands = {DemoCommand.class, UpCommand.class, ProduceCommand.class, ConsumeCommand.class, CertsCommand.class,
            KeysCommand.class, PolicyCommand.class, QuarantineCommand.class, TraceCommand.class, AuditCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 done, 1 the work failed (the message says what and what to do), 2 wrong usage.",
            "Most commands use the client settings that 'up' writes under --home; pass --config FILE for another cluster.",
            "CIPHERTRAIL_DEBUG=1 adds stack traces to errors."})
public final class Ciphertrail {

    /** Whether this JVM runs one command and exits with its status (set by {@link #main}), rather than commands in-process. */
    static volatile boolean exitsAfterCommand;

    public static void main(String[] args) {
        Errors.configureLogging();
        exitsAfterCommand = true;
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine command = new CommandLine(new Ciphertrail())
                .setExecutionExceptionHandler(new Errors())
                .setParameterExceptionHandler(new Errors.Usage());
        addHelpOptions(command);
        return command;
    }

    /**
     * {@code -h, --help} on every subcommand. Not picocli's standard mixin, whose {@code -V, --version} would take
     * the name of options such as {@code keys shred --version N} (and the version is the root command's business).
     */
    private static void addHelpOptions(CommandLine command) {
        for (CommandLine sub : command.getSubcommands().values()) {
            CommandSpec spec = sub.getCommandSpec();
            if (spec.optionsMap().get("--help") == null && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help and exit.").build());
            }
            addHelpOptions(sub);
        }
    }
}
