package io.ciphertrail.broker.authorizer;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs librdkafka's kcat (Debian package kcat, formerly kafkacat): a non-Java Kafka client. */
final class Kcat {
    private Kcat() {
    }

    record Result(int exitCode, String output) {
        @Override
        public String toString() {
            return "kcat exit " + exitCode + ": " + output;
        }
    }

    static String binary() {
        for (String candidate : List.of("/usr/bin/kcat", "/usr/bin/kafkacat", "/usr/local/bin/kcat")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }

    /** Skips the test where kcat is missing, except on CI, where its absence is a failure. */
    static void assumeInstalled() {
        if (binary() != null) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("kcat is not installed but CI=true: apt-get install kcat (.ci/run installs it)");
        }
        Assumptions.abort("kcat is not installed (apt-get install kcat); skipping the librdkafka client test");
    }

    static Result run(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(binary());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("kcat did not finish within 60 s: " + command);
        }
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
