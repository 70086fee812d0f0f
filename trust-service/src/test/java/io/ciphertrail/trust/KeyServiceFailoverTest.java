package io.ciphertrail.trust;

import static io.ciphertrail.trust.KeyServiceTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.ciphertrail.core.kms.GeneratedDek;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsConfig;
import io.ciphertrail.core.kms.remote.RemoteKmsProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances over one backend; one is killed (SIGKILL, its own process) while clients use both:
 * every client goes on through the other, with no failed operation.
 */
class KeyServiceFailoverTest {
    private static final Pattern LISTENING = Pattern.compile("Trust service listening on https://[^:]+:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void whenOneOfTwoInstancesIsKilledClientsContinueThroughTheOther() throws Exception {
        TrustFixture fixture = new TrustFixture(dir);
        fixture.writePolicy("rules:\n  - {name: worker, principals: [User:worker], keys: [\"*\"], operations: [ENCRYPT, DECRYPT]}\n"
                + "  - {name: admin, principals: [User:key-admin], keys: [\"*\"], operations: [ADMIN]}\n");
        Process killed = startProcess(fixture.serviceSettings());
        try (TrustService survivor = fixture.start()) {
            int killedPort = port(killed);
            String urls = "https://localhost:" + killedPort + ",https://localhost:" + survivor.port();
            try (KmsAdmin admin = KmsConfig.admin(fixture.clientSettings("key-admin", survivor))) {
                admin.create("ciphertrail/topic/failover");
            }
            List<Kms> clients = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Map<String, Object> settings = fixture.clientSettings("worker", survivor);
                settings.put(RemoteKmsProvider.URLS_CONFIG, urls);
                clients.add(KmsConfig.kms(settings));
            }
            for (Kms client : clients) {
                roundTrip(client);
            }

            killed.destroyForcibly();
            assertThat(killed.waitFor(30, TimeUnit.SECONDS)).isTrue();

            for (int round = 0; round < 3; round++) {
                for (Kms client : clients) {
                    roundTrip(client);
                }
            }
            clients.forEach(Kms::close);
        } finally {
            killed.destroyForcibly();
        }
    }

    private static void roundTrip(Kms client) {
        KekRef kek = await(client.resolveAlias("ciphertrail/topic/failover"));
        GeneratedDek generated = await(client.generateDek(kek));
        assertThat(await(client.unwrap(generated.edek())).copyMaterial()).isEqualTo(generated.dek().copyMaterial());
    }

    /** The service as its own JVM (the runnable jar's main), so it can be killed for real. */
    private Process startProcess(Map<String, Object> settings) throws IOException {
        Properties properties = new Properties();
        settings.forEach((key, value) -> properties.setProperty(key, String.valueOf(value)));
        Path file = dir.resolve("instance-a.properties");
        try (Writer writer = Files.newBufferedWriter(file)) {
            properties.store(writer, null);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), file.toString()).redirectErrorStream(true).start();
    }

    private static int port(Process process) throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    Matcher matcher = LISTENING.matcher(line);
                    if (matcher.find()) {
                        port.complete(Integer.parseInt(matcher.group(1)));
                    }
                }
                port.completeExceptionally(new IllegalStateException("The key service process ended before listening"));
            } catch (IOException e) {
                port.completeExceptionally(e);
            }
        }, "instance-a-output");
        reader.setDaemon(true);
        reader.start();
        return port.get(60, TimeUnit.SECONDS);
    }
}
