package io.ciphertrail.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The ids of the processes the benchmark started, kept in a file, so that benchmarks/run can stop
 * them even if this JVM is killed before its shutdown hook runs.
 */
final class Pids {
    private static final Set<Long> PIDS = new LinkedHashSet<>();
    private static Path file;

    private Pids() {
    }

    static synchronized void writeTo(Path pidFile) {
        file = pidFile;
        save();
    }

    static synchronized void add(long pid) {
        PIDS.add(pid);
        save();
    }

    static synchronized void remove(long pid) {
        PIDS.remove(pid);
        save();
    }

    private static void save() {
        if (file == null) {
            return;
        }
        try {
            Files.writeString(file, PIDS.stream().map(String::valueOf).collect(Collectors.joining("\n", "", PIDS.isEmpty() ? "" : "\n")));
        } catch (IOException e) {
            // best effort: the shutdown hook stops the processes in any case
        }
    }
}
