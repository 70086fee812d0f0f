package io.ciphertrail.trust.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key policy in force, from a file re-read while the service runs: a call checks the file's content
 * (at most once per check interval), and a changed file that validates applies from that call on. A
 * changed file that does not validate leaves the policy in force as it was and is reported (log, metric)
 * until it is fixed; at start an invalid file stops the service instead.
 *
 * <p>Why a file and not a compacted topic like gate policies: key access must not be grantable by whoever
 * can write a Kafka topic (that would make broker ACLs the root of key access), and the key service must
 * decide with the cluster down. A file comes from the deployment (a mounted ConfigMap or secret), reviewed
 * like code; content is compared rather than modification times, which mounted files do not keep reliably.
 */
public final class KeyPolicySource {
    private static final Logger LOG = LoggerFactory.getLogger(KeyPolicySource.class);

    private final Path file;
    private final long checkIntervalNanos;
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile KeyPolicy current;
    private volatile long nextCheck;
    private byte[] digest;
    private byte[] failedDigest;

    /** Reads {@code file} now; an unreadable or invalid file is a {@link KeyPolicyException}. */
    public KeyPolicySource(Path file, Duration checkInterval) {
        this.file = file.toAbsolutePath();
        this.checkIntervalNanos = checkInterval.toNanos();
        byte[] content = read();
        this.current = KeyPolicyFile.parse(new String(content, StandardCharsets.UTF_8), this.file.toString());
        this.digest = sha256(content);
        this.nextCheck = System.nanoTime() + checkIntervalNanos;
        LOG.info("Key policy {} in force: {} rules, mode {}", this.file, current.rules().size(), current.mode());
    }

    /** The policy in force for this call. */
    public KeyPolicy current() {
        if (System.nanoTime() - nextCheck >= 0) {
            check();
        }
        return current;
    }

    private synchronized void check() {
        if (System.nanoTime() - nextCheck < 0) {
            return;
        }
        try {
            byte[] content = read();
            byte[] latest = sha256(content);
            if (MessageDigest.isEqual(latest, digest) || MessageDigest.isEqual(latest, failedDigest == null ? new byte[0] : failedDigest)) {
                return;
            }
            try {
                KeyPolicy next = KeyPolicyFile.parse(new String(content, StandardCharsets.UTF_8), file.toString());
                current = next;
                digest = latest;
                failedDigest = null;
                reloads.incrementAndGet();
                LOG.info("Key policy {} changed and is in force: {} rules, mode {}", file, next.rules().size(), next.mode());
            } catch (KeyPolicyException e) {
                failedDigest = latest;
                failures.incrementAndGet();
                LOG.error("Key policy {} changed but is not valid, so the previous policy stays in force: {}", file, e.getMessage());
            }
        } catch (KeyPolicyException e) {
            failures.incrementAndGet();
            LOG.error("{}; the previous policy stays in force", e.getMessage());
        } finally {
            nextCheck = System.nanoTime() + checkIntervalNanos;
        }
    }

    private byte[] read() {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KeyPolicyException("Cannot read the key policy file " + file + " (ciphertrail.trust.key.policy.file): " + e.getMessage(), e);
        }
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Changed policies applied since start. */
    public long reloads() {
        return reloads.get();
    }

    /** Changed policies refused since start (invalid or unreadable). */
    public long failures() {
        return failures.get();
    }

    public Path file() {
        return file;
    }
}
