package io.ciphertrail.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * One running platform per home. Two brokers on one metadata log corrupt it, so a start takes an exclusive OS lock
 * on {@code platform.lock} in the home before it touches anything else, and holds it until every part has stopped.
 * The operating system releases it when the process dies, so a crash leaves no stale lock to clean up; the file's
 * text (the PID and the ports) is only what the refusal tells the operator.
 */
final class HomeLock implements AutoCloseable {
    static final String FILE = "platform.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private HomeLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the home's lock, or throws naming the process that holds it and its ports; changes nothing in either case. */
    static HomeLock acquire(Home home) {
        Path file = home.root().resolve(FILE);
        FileChannel channel = null;
        try {
            if (!Files.isDirectory(home.root())) {
                Files.createDirectories(home.root(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException sameProcess) {
                lock = null;
            }
            if (lock == null) {
                String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
                channel.close();
                throw new IllegalStateException("The platform in " + home.root() + " is already running"
                        + (holder.isEmpty() ? "" : " (" + holder + ")") + "; nothing was changed. Use it as it is, or stop it first"
                        + " (Ctrl-C where 'ciphertrail up" + home.argument() + "' runs" + (holder.startsWith("pid ") ? ", or kill " + pid(holder) : "") + ")");
            }
            HomeLock held = new HomeLock(file, channel, lock);
            held.describe("pid " + ProcessHandle.current().pid() + ", starting");
            return held;
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            throw new UncheckedIOException("Cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    private static String pid(String holder) {
        int end = holder.indexOf(',');
        return holder.substring("pid ".length(), end < 0 ? holder.length() : end);
    }

    /** What a refused second start shows: who holds the home and where it listens. */
    void describe(String text) {
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            channel.truncate(0);
            lock.release();
            channel.close();
        } catch (IOException e) {
            // The lock goes with the process anyway.
        }
    }
}
