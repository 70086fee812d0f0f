package io.ciphertrail.core.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The content digest of the store files a TLS configuration reads. Content, not modification time:
 * a certificate swapped in within the same clock tick, or copied with its old time preserved, is still seen.
 */
final class StoreFingerprint {
    private final List<Path> files;
    private final byte[] digest;

    private StoreFingerprint(List<Path> files, byte[] digest) {
        this.files = files;
        this.digest = digest;
    }

    static StoreFingerprint of(List<Path> files) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (Path file : files) {
                sha256.update(file.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try {
                    sha256.update(Files.readAllBytes(file));
                } catch (NoSuchFileException e) {
                    sha256.update((byte) 0);
                }
            }
            return new StoreFingerprint(List.copyOf(files), sha256.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + files + ": " + e.getMessage(), e);
        }
    }

    StoreFingerprint current() {
        return of(files);
    }

    boolean sameAs(StoreFingerprint other) {
        return MessageDigest.isEqual(digest, other.digest);
    }

    static List<Path> storeFiles(String... locations) {
        List<Path> files = new ArrayList<>();
        Arrays.stream(locations).filter(l -> l != null && !l.isBlank()).map(Path::of).forEach(files::add);
        return files;
    }
}
