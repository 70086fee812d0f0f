package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** docs/threat-model.md cites tests as proof; every one of them must exist, or the document is lying. */
class ThreatModelTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Pattern CLASS_METHOD = Pattern.compile("`([A-Z][A-Za-z]+Test|[A-Z][A-Za-z]+IT|EnvelopeContract)(?:\\.([a-z][A-Za-z]+))?`");
    private static final Pattern BARE_METHOD = Pattern.compile("`([a-z][A-Za-z]{20,})`");

    @Test
    void everyCitedTestExists() throws IOException {
        String model = Files.readString(ROOT.resolve("docs/threat-model.md"));
        List<Path> tests;
        try (Stream<Path> files = Files.walk(ROOT)) {
            tests = files.filter(f -> f.toString().contains("/src/test/java/") && f.toString().endsWith(".java")).toList();
        }
        StringBuilder allTests = new StringBuilder();
        for (Path test : tests) {
            allTests.append(Files.readString(test));
        }
        List<String> cited = new ArrayList<>();
        Matcher classes = CLASS_METHOD.matcher(model);
        while (classes.find()) {
            String type = classes.group(1);
            assertThat(tests).as("test class %s cited in the threat model", type)
                    .anyMatch(t -> t.getFileName().toString().equals(type + ".java"));
            if (classes.group(2) != null) {
                cited.add(classes.group(2));
            }
        }
        Matcher methods = BARE_METHOD.matcher(model);
        while (methods.find()) {
            cited.add(methods.group(1));
        }
        assertThat(cited).hasSizeGreaterThan(20);
        for (String method : cited) {
            assertThat(allTests.toString()).as("test method %s cited in the threat model", method).contains("void " + method + "(");
        }
    }
}
