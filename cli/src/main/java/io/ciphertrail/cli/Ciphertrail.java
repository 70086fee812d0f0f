package io.ciphertrail.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ciphertrail} command. */
@Command(name = "ciphertrail",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Secure messaging on Apache Kafka: TLS-only transport, encryption at rest, trace IDs and an audit trail.",
        subcommands = {UpCommand.class, CommandLine.HelpCommand.class})
public final class Ciphertrail {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Ciphertrail())
                .setExecutionExceptionHandler(new Errors());
    }
}
