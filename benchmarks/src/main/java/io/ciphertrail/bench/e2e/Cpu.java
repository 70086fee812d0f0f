package io.ciphertrail.bench.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time of a process (user + system, all threads) from {@code /proc/<pid>/stat}. */
final class Cpu {
    /** Clock ticks per second of {@code /proc} times; 100 on every Linux kernel configuration in use. */
    private static final double TICKS = ticksPerSecond();

    private Cpu() {
    }

    static double seconds(long pid) {
        try {
            return parseStat(Files.readString(Path.of("/proc", String.valueOf(pid), "stat"), StandardCharsets.US_ASCII)) / TICKS;
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read the CPU time of process " + pid + " from /proc: " + e.getMessage(), e);
        }
    }

    static double self() {
        return seconds(ProcessHandle.current().pid());
    }

    /** utime + stime in clock ticks: fields 14 and 15, counted after the command name, which may hold spaces. */
    static long parseStat(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // fields[0] is field 3 (state), so field n is fields[n - 3]
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static double ticksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            getconf.waitFor();
            return Double.parseDouble(out);
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
