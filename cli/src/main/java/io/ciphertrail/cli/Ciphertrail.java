package io.ciphertrail.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ciphertrail} command. */
@Command(name = "ciphertrail",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Secure messaging on Apache Kafka: TLS-only transport, encryption at rest, trace IDs and an audit trail.",
        subcommands = {DemoCommand.class, UpCommand.class, ProduceCommand.class, ConsumeCommand.class, CertsCommand.class,
            KeysCommand.class, PolicyCommand.class, QuarantineCommand.class, TraceCommand.class, AuditCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 done, 1 the work failed (the message says what and what to do), 2 wrong usage.",
            "Most commands use the client settings that 'up' writes under --home; pass --config FILE for another cluster."})
public final class Ciphertrail {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Ciphertrail())
                .setExecutionExceptionHandler(new Errors());
    }
}
