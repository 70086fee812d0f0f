package io.ciphertrail.bench.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Busy CPU time of the whole machine (all processes, all cores) from {@code /proc/stat}, in seconds. */
final class MachineCpu {
    private MachineCpu() {
    }

    static double busySeconds() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).get(0);
            return busyTicks(first) / 100.0;
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    /** user + nice + system + irq + softirq + steal, from the aggregate {@code cpu} line. */
    static long busyTicks(String cpuLine) {
        String[] f = cpuLine.trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < f.length && i <= 8; i++) {
            if (i != 4 && i != 5) { // idle, iowait
                busy += Long.parseLong(f[i]);
            }
        }
        return busy;
    }
}
