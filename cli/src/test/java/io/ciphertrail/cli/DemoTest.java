package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quick start: every step of the demo does what it claims, and the exit code says so. */
class DemoTest {

    @Test
    void everyStepOfTheDemoPassesAndAgainAfterARestart(@TempDir Path home) {
        CliTest.Run demo = CliTest.run("demo", "--home", home.toString());
        assertThat(demo.exit()).as(demo.out() + demo.err()).isZero();
        assertThat(demo.out()).contains("All checks passed.")
                .contains("5 sent to orders.ingress, forwarded by the gate, decrypted from orders with the same trace IDs")
                .contains("refused by the broker (TopicAuthorizationException)")
                .contains("NOT_ENCRYPTED, kept byte for byte")
                .contains("KMS_ACCESS_DENIED at payments-0@0, no plaintext, audited as KEY_USE_DENIED")
                .contains("all decrypted")
                .contains("producer renewed without a restart or a key file, events before and after delivered")
                .contains("0 hits for 11 encrypted events")
                .doesNotContain("FAILED");
        String ca = readCa(home);

        // Everything survives a restart: the same CA, the same key store (whose KEK rotates on to v3), the same data.
        CliTest.Run again = CliTest.run("demo", "--home", home.toString());
        assertThat(again.exit()).as(again.out() + again.err()).isZero();
        assertThat(again.out()).contains("under v3 all decrypted").contains("KMS_ACCESS_DENIED at payments-0@1");
        assertThat(readCa(home)).isEqualTo(ca);
    }

    private static String readCa(Path home) {
        try {
            return java.nio.file.Files.readString(new Home(home).ca().resolve("ca.crt"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
