package io.ciphertrail.cli;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * How the command fails: one line that names the whole command ({@code ciphertrail keys list: ...}), what went wrong
 * with its cause, and what to do, instead of a stack trace ({@code CIPHERTRAIL_DEBUG=1} adds it). Wrong usage, found
 * by picocli or by a command itself ({@link #usage}), exits 2 and points at the command's {@code --help}.
 */
final class Errors implements IExecutionExceptionHandler {
    /** Exit code for a failure of the work itself. */
    static final int FAILED = 1;
    /** Exit code for wrong usage. */
    static final int USAGE = 2;
    private static final String DEBUG = "CIPHERTRAIL_DEBUG";
    /** A command the message tells the user to run, quoted or in parentheses: the home must go with it. */
    private static final Pattern SUGGESTED = Pattern.compile(
            "ciphertrail (?:demo|up|produce|consume|certs|keys|policy|quarantine|trace|audit)\\b[^'()\\n]*?(?=['()]|$)");

    @Override
    public int handleExecutionException(Exception e, CommandLine command, ParseResult parseResult) {
        command.getErr().println(prefix(command) + withHome(describe(e), command));
        if (debug()) {
            e.printStackTrace(command.getErr());
        } else {
            command.getErr().println("(set " + DEBUG + "=1 for the stack trace)");
        }
        command.getErr().flush();
        return FAILED;
    }

    /** A usage error found by a command itself: exit 2, like the ones picocli finds. */
    static ParameterException usage(CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    static boolean debug() {
        String value = System.getenv(DEBUG);
        return value != null && !value.isBlank() && !value.equals("0");
    }

    /**
     * Libraries, Kafka and the embedded services log through logback: their stack traces are shown only with
     * {@code CIPHERTRAIL_DEBUG=1} (logback.xml reads this property). Must run before the first logger exists.
     */
    static void configureLogging() {
        if (System.getProperty("ciphertrail.log.exceptions") == null) {
            System.setProperty("ciphertrail.log.exceptions", debug() ? "%ex" : "%nopex");
        }
    }

    static String prefix(CommandLine command) {
        return command.getCommandSpec().qualifiedName() + ": ";
    }

    /**
     * The message and the causes that add to it: "Cannot open the token: CKR_PIN_INCORRECT" rather than a wrapper's
     * words alone. Key material is never in these messages (every layer keeps it out).
     */
    static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(message(e));
        Throwable cause = e.getCause();
        for (int depth = 0; cause != null && cause != e && depth < 4; depth++, cause = cause.getCause()) {
            String more = cause.getMessage();
            if (more != null && !more.isBlank() && text.indexOf(more) < 0) {
                text.append(" (").append(more).append(')');
            }
        }
        return text.toString();
    }

    private static String message(Throwable e) {
        String message = e.getMessage();
        return message != null && !message.isBlank() ? message : e.getClass().getSimpleName();
    }

    /**
     * Adds the command's {@code --home} to every {@code ciphertrail ...} command the message suggests, when the home is
     * not the default one: a hint that runs against another platform is worse than none.
     */
    static String withHome(String message, CommandLine command) {
        String home = homeArgument(command.getCommandSpec());
        if (home.isEmpty()) {
            return message;
        }
        Matcher suggested = SUGGESTED.matcher(message);
        StringBuilder out = new StringBuilder();
        while (suggested.find()) {
            String hint = suggested.group().stripTrailing();
            String trailing = suggested.group().substring(hint.length());
            suggested.appendReplacement(out, Matcher.quoteReplacement(
                    hint.contains("--home") || hint.contains("--config") ? suggested.group() : hint + home + trailing));
        }
        suggested.appendTail(out);
        return out.toString();
    }

    /** {@code " --home DIR"} when the command runs against a home other than the default, else empty. */
    static String homeArgument(CommandSpec spec) {
        OptionSpec config = spec.findOption("--config");
        if (config != null && config.getValue() != null) {
            return "";
        }
        OptionSpec home = spec.findOption("--home");
        return home == null || home.getValue() == null ? "" : Home.argument((Path) home.getValue());
    }

    /** Wrong usage: the problem, picocli's suggestions, the synopsis, and where the full help is; exit 2. */
    static final class Usage implements IParameterExceptionHandler {
        @Override
        public int handleParseException(ParameterException e, String[] args) {
            CommandLine command = e.getCommandLine();
            var err = command.getErr();
            err.println(prefix(command) + e.getMessage());
            UnmatchedArgumentException.printSuggestions(e, err);
            err.print(command.getHelp().synopsis(0));
            err.println("See '" + command.getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return USAGE;
        }
    }
}
