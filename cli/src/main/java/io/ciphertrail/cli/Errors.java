package io.ciphertrail.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Shows a failure as one line a person can act on instead of a stack trace; {@code --verbose}
 * style debugging is what {@code CIPHERTRAIL_DEBUG=1} is for.
 */
final class Errors implements IExecutionExceptionHandler {
    /** Exit code for a failure of the work itself (usage errors get picocli's 2). */
    static final int FAILED = 1;

    @Override
    public int handleExecutionException(Exception e, CommandLine command, ParseResult parseResult) {
        command.getErr().println("ciphertrail " + command.getCommandName() + ": " + message(e));
        if (System.getenv("CIPHERTRAIL_DEBUG") != null) {
            e.printStackTrace(command.getErr());
        } else {
            command.getErr().println("(set CIPHERTRAIL_DEBUG=1 for the stack trace)");
        }
        return FAILED;
    }

    private static String message(Throwable e) {
        String message = e.getMessage();
        return message != null ? message : e.getClass().getSimpleName();
    }
}
