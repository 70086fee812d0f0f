package io.ciphertrail.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes files that hold secrets (private keys, keystores, key encryption keys) so that only their
 * owner can read them, and checks that files read back have not been opened up since.
 *
 * <p>Files are written to a sibling temporary file created with owner-only permissions and then
 * moved into place, so there is no moment at which the secret sits in a world-readable file and a
 * reader never sees half a file.
 */
public final class SecureFiles {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private SecureFiles() {
    }

    /** Writes {@code content} to {@code file}, readable and writable by its owner only. */
    public static void writeOwnerOnly(Path file, byte[] content) {
        write(file, content, true);
    }

    /** Writes {@code content} to {@code file} atomically with default permissions (for public material). */
    public static void writePublic(Path file, byte[] content) {
        write(file, content, false);
    }

    private static void write(Path file, byte[] content, boolean ownerOnly) {
        Path target = file.toAbsolutePath();
        try {
            Files.createDirectories(target.getParent());
            Path temp = ownerOnly && POSIX
                    ? Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp",
                            PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                    : Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
            try {
                Files.write(temp, content);
                if (!ownerOnly && POSIX) {
                    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
                }
                try {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates {@code directory} (and missing parents) and makes it reachable by its owner only; an existing
     * directory is narrowed to owner-only too. Nothing inside it can then be read by others, whatever the
     * files' own permissions (a broker writes its log segments with the default umask).
     */
    public static Path createOwnerOnlyDirectory(Path directory) {
        Path target = directory.toAbsolutePath();
        try {
            Files.createDirectories(target);
            if (POSIX) {
                Files.setPosixFilePermissions(target, OWNER_ONLY_DIRECTORY);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the owner-only directory " + target + ": " + e.getMessage(), e);
        }
    }

    /** True when the file's group and others have no access at all (always true where POSIX permissions do not exist). */
    public static boolean isOwnerOnly(Path file) {
        if (!POSIX) {
            return true;
        }
        try {
            return OWNER_ONLY.containsAll(Files.getPosixFilePermissions(file));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the permissions of " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fails when a secret file can be read by anyone but its owner, naming the file and the fix,
     * the way ssh refuses a private key with open permissions.
     */
    public static void requireOwnerOnly(Path file) {
        if (!isOwnerOnly(file)) {
            throw new IllegalStateException("Refusing to use " + file.toAbsolutePath()
                    + ": it holds secret key material but is readable by others. Run: chmod 600 " + file.toAbsolutePath());
        }
    }
}
