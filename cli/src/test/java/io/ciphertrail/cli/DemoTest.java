package io.ciphertrail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
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
                .containsPattern("6 jobs split \\d/\\d between 2 workers, each handled once; the tampered one rejected \\(TAMPERED\\) at jobs-0@\\d+")
                .contains("all decrypted")
                .contains("producer renewed without a restart or a key file, events before and after delivered")
                .contains("0 hits for 18 encrypted events")
                .doesNotContain("FAILED");
        // The hints name the home, and say the platform must run: the demo stopped it, and a hint then fails fast saying so.
        java.util.regex.Matcher trace = java.util.regex.Pattern.compile("Follow one \\(once './ciphertrail up --home \\S+' runs\\):  ./ciphertrail (trace [0-9a-f]{32}) --home ")
                .matcher(demo.out());
        assertThat(trace.find()).as(demo.out()).isTrue();
        CliTest.Run hint = CliTest.run(trace.group(1).split(" ")[0], trace.group(1).split(" ")[1], "--home", home.toString());
        assertThat(hint.exit()).isEqualTo(1);
        assertThat(hint.err()).contains("Cannot reach the brokers").contains("Start it with 'ciphertrail up --home " + new Home(home).root());
        assertThat(demo.out()).contains("the demo stopped the platform: './ciphertrail up --home " + new Home(home).root() + "' starts it again");
        String ca = readCa(home);

        // Everything survives a restart: the same CA, the same key store (whose KEK rotates on to v3), the same data.
        CliTest.Run again = CliTest.run("demo", "--home", home.toString());
        assertThat(again.exit()).as(again.out() + again.err()).isZero();
        assertThat(again.out()).contains("under v3 all decrypted").contains("KMS_ACCESS_DENIED at payments-0@1")
                .containsPattern("each handled once; the tampered one rejected \\(TAMPERED\\) at jobs-0@\\d+");
        assertThat(readCa(home)).isEqualTo(ca);
    }

    /** The same demo on a three-node cluster: each node a process of its own, every topic on three replicas. */
    @Test
    @Tag("faults")
    void everyStepOfTheDemoPassesOnAThreeNodeCluster(@TempDir Path home) throws Exception {
        CliTest.Run demo = CliTest.run("demo", "--nodes", "3", "--home", home.toString());
        assertThat(demo.exit()).as(demo.out() + demo.err()).isZero();
        assertThat(demo.out()).contains("All checks passed.")
                .containsPattern("3 nodes localhost:\\d+,localhost:\\d+,localhost:\\d+ \\(TLS only, every topic on 3 replicas\\)")
                .contains("decrypted from orders with the same trace IDs")
                .contains("refused by the broker (TopicAuthorizationException)")
                .contains("NOT_ENCRYPTED, kept byte for byte")
                .contains("KMS_ACCESS_DENIED at payments-0@0, no plaintext, audited as KEY_USE_DENIED")
                .containsPattern("0 hits for \\d+ encrypted events")
                .doesNotContain("FAILED");
        try (java.util.stream.Stream<Path> nodes = java.nio.file.Files.list(new Home(home).cluster())) {
            assertThat(nodes.map(p -> p.getFileName().toString())).contains("node-1", "node-2", "node-3");
        }
    }

    @Test
    void aClusterHasOneOrThreeNodes(@TempDir Path home) {
        CliTest.Run two = CliTest.run("demo", "--nodes", "2", "--home", home.toString());
        assertThat(two.exit()).isEqualTo(2);
        assertThat(two.err()).contains("--nodes takes 1 (one broker in this process) or 3");
    }

    private static String readCa(Path home) {
        try {
            return java.nio.file.Files.readString(new Home(home).ca().resolve("ca.crt"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
