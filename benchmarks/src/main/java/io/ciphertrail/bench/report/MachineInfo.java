package io.ciphertrail.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the numbers were measured on, read off the machine. */
public final class MachineInfo {
    private MachineInfo() {
    }

    public static Map<String, String> read() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("cpus", String.valueOf(Runtime.getRuntime().availableProcessors()));
        info.put("cpu_model", firstValue(Path.of("/proc/cpuinfo"), "model name"));
        String memKb = firstValue(Path.of("/proc/meminfo"), "MemTotal");
        if (!memKb.isEmpty()) {
            long kb = Long.parseLong(memKb.replace("kB", "").trim());
            info.put("memory", String.format("%.1f GiB", kb / 1024.0 / 1024.0));
        }
        info.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + ")");
        info.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        return info;
    }

    private static String firstValue(Path file, String key) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                    return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: leave it out
        }
        return "";
    }
}
