package io.ciphertrail.trust.policy;

import io.ciphertrail.trust.WatchedFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The key policy in force, from a file re-read while the service runs ({@link WatchedFile}): a changed file that
 * validates applies from the next call on; one that does not leaves the policy in force as it was and is reported
 * (log, metric) until it is fixed; at start an invalid file stops the service instead.
 *
 * <p>Why a file and not a compacted topic like gate policies: key access must not be grantable by whoever
 * can write a Kafka topic (that would make broker ACLs the root of key access), and the key service must
 * decide with the cluster down. A file comes from the deployment (a mounted ConfigMap or secret), reviewed
 * like code.
 */
public final class KeyPolicySource {
    private final WatchedFile<KeyPolicy> file;

    /** Reads {@code file} now; an unreadable or invalid file is a {@link KeyPolicyException}. */
    public KeyPolicySource(Path file, Duration checkInterval) {
        Path absolute = file.toAbsolutePath();
        try {
            this.file = new WatchedFile<>(absolute, checkInterval, "Key policy",
                    content -> KeyPolicyFile.parse(new String(content, StandardCharsets.UTF_8), absolute.toString()),
                    policy -> policy.rules().size() + " rules, mode " + policy.mode());
        } catch (IllegalStateException e) {
            throw new KeyPolicyException(e.getMessage() + " (ciphertrail.trust.key.policy.file)", e);
        }
    }

    /** The policy in force for this call. */
    public KeyPolicy current() {
        return file.current();
    }

    /** Changed policies applied since start. */
    public long reloads() {
        return file.reloads();
    }

    /** Changed policies refused since start (invalid or unreadable). */
    public long failures() {
        return file.failures();
    }

    public Path file() {
        return file.file();
    }
}
