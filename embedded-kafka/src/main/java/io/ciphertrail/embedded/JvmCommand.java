package io.ciphertrail.embedded;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a JVM started beside this one on the same class path: the nodes of a
 * {@link MultiNodeSecureKafka}, and other services that tests and benchmarks run in processes of their own.
 */
public final class JvmCommand {
    /**
     * Logging for such a process, to its standard output (which its starter sends to a log file): INFO,
     * with Kafka's chattiest client and storage loggers at WARN.
     */
    public static final String LOGGING = "-Dlogback.configurationFile=io/ciphertrail/embedded/process-logback.xml";

    private JvmCommand() {
    }

    /**
     * This JVM's class path. Under Maven Surefire it is the test class path, since Surefire's own
     * {@code java.class.path} is a single manifest-only jar.
     */
    public static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /** {@code java <options> -cp <classPath> <mainClass> <arguments>}, with this JVM's {@code java}. */
    public static List<String> of(List<String> options, String classPath, String mainClass, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.addAll(arguments);
        return command;
    }
}
