package io.ciphertrail.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A setting kept in a file and re-read while the service runs (the key policy, the trust bundle): a caller checks the
 * file's content at most once per interval, and a changed file that parses applies from that call on. A changed file
 * that does not parse leaves the previous value in force and is reported (log, counter) until it is fixed; at start an
 * unreadable or invalid file is an error instead. Content is compared rather than modification times, which mounted
 * files (ConfigMaps, secrets) do not keep reliably.
 *
 * @param <T> what the file holds
 */
public final class WatchedFile<T> {
    private static final Logger LOG = LoggerFactory.getLogger(WatchedFile.class);

    private final Path file;
    private final String what;
    private final Function<byte[], T> parse;
    private final Function<T, String> describe;
    private final long checkIntervalNanos;
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile T current;
    private volatile long nextCheck;
    private byte[] digest;
    private byte[] failedDigest;

    /**
     * Reads {@code file} now.
     *
     * @param what     what the file is, for messages ("Key policy")
     * @param parse    turns the content into a value, or throws a {@link RuntimeException} saying what is wrong
     * @param describe one phrase about a value in force, for the log
     */
    public WatchedFile(Path file, Duration checkInterval, String what, Function<byte[], T> parse, Function<T, String> describe) {
        this.file = file.toAbsolutePath();
        this.what = what;
        this.parse = parse;
        this.describe = describe;
        this.checkIntervalNanos = checkInterval.toNanos();
        byte[] content = read();
        this.current = parse.apply(content);
        this.digest = sha256(content);
        this.nextCheck = System.nanoTime() + checkIntervalNanos;
        LOG.info("{} {} in force: {}", what, this.file, describe.apply(current));
    }

    /** The value in force for this call. */
    public T current() {
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
                T next = parse.apply(content);
                current = next;
                digest = latest;
                failedDigest = null;
                reloads.incrementAndGet();
                LOG.info("{} {} changed and is in force: {}", what, file, describe.apply(next));
            } catch (RuntimeException e) {
                failedDigest = latest;
                failures.incrementAndGet();
                LOG.error("{} {} changed but is not valid, so the previous {} stays in force: {}", what, file, noun(), e.getMessage());
            }
        } catch (IllegalStateException e) {
            failures.incrementAndGet();
            LOG.error("{}; the previous {} stays in force", e.getMessage(), noun());
        } finally {
            nextCheck = System.nanoTime() + checkIntervalNanos;
        }
    }

    /** "policy" for "Key policy": what "the previous ..." refers to. */
    private String noun() {
        return what.substring(what.lastIndexOf(' ') + 1).toLowerCase(java.util.Locale.ROOT);
    }

    private byte[] read() {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read the " + what.toLowerCase(java.util.Locale.ROOT) + " file " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Changed files applied since start. */
    public long reloads() {
        return reloads.get();
    }

    /** Changed files refused since start (invalid or unreadable). */
    public long failures() {
        return failures.get();
    }

    public Path file() {
        return file;
    }
}
