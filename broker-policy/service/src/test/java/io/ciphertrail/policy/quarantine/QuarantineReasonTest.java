package io.ciphertrail.policy.quarantine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The list of reason codes tools accept is the list the gate writes: a new code in the gate must be added to it. */
class QuarantineReasonTest {
    /** Codes as the gate's sources pass them: a violation's code, a delivery problem, an exception handler's quarantine. */
    private static final Pattern CODE = Pattern.compile("(?:new Violation\\([^\"]*|delivery\\(|quarantine\\(context, )\"([A-Z][A-Z_]+)\"");

    @Test
    void everyCodeTheGateWritesIsKnown() throws IOException {
        Set<String> written = new TreeSet<>();
        try (Stream<Path> sources = Files.walk(Path.of("src/main/java/io/ciphertrail/policy"))) {
            for (Path source : sources.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher code = CODE.matcher(Files.readString(source));
                while (code.find()) {
                    written.add(code.group(1));
                }
            }
        }
        assertThat(written).hasSizeGreaterThan(10);
        assertThat(QuarantineReason.CODES).containsAll(written).contains("NOT_ENCRYPTED", "TAMPERED", "TOO_LARGE_TO_COPY");
        assertThat(List.copyOf(QuarantineReason.CODES)).doesNotContain("ENFORCE");
    }
}
