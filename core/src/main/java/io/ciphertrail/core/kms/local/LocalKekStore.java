package io.ciphertrail.core.kms.local;

import io.ciphertrail.core.io.SecureFiles;
import io.ciphertrail.core.kms.KekStore;
import io.ciphertrail.core.kms.KmsAccessDeniedException;
import io.ciphertrail.core.kms.KmsUnavailableException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.UnrecoverableKeyException;
import java.util.Arrays;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;

/**
 * KEKs in a PKCS12 key store file, readable by its owner only and protected by a password. Several
 * processes on one machine may share the file: writers take a lock on {@code <file>.lock} and
 * replace the file atomically, readers reload it when it changed.
 */
final class LocalKekStore extends KekStore {
    private final Path file;
    private final char[] password;
    private final String passwordSetting;
    private KeyStore keyStore;
    private FileTime loadedModified;
    private long loadedSize = -1;

    LocalKekStore(Path file, char[] password, String passwordSetting) {
        this.file = file.toAbsolutePath();
        this.password = password;
        this.passwordSetting = passwordSetting;
        this.keyStore = load();
    }

    @Override
    protected Provider cryptoProvider() {
        return null;
    }

    @Override
    protected KeyStore keyStore() {
        return keyStore;
    }

    @Override
    protected boolean refresh() {
        try {
            if (!Files.exists(file)) {
                return false;
            }
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            if (modified.equals(loadedModified) && size == loadedSize) {
                return false;
            }
        } catch (IOException e) {
            throw new KmsUnavailableException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        keyStore = load();
        return true;
    }

    @Override
    protected void modify(KeyStoreChange change) {
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel lockChannel = FileChannel.open(file.resolveSibling(file.getFileName() + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = lockChannel.lock()) {
                keyStore = load();
                change.apply(keyStore);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                keyStore.store(out, password);
                SecureFiles.writeOwnerOnly(file, out.toByteArray());
                remember();
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new KmsUnavailableException("Cannot update the KEK store " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    protected SecretKey newKek() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256);
            return generator.generateKey();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("This JVM cannot generate AES-256 keys", e);
        }
    }

    @Override
    protected KeyStore.ProtectionParameter protection() {
        return new KeyStore.PasswordProtection(password);
    }

    @Override
    public String description() {
        return "local key store " + file;
    }

    private KeyStore load() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            if (!Files.exists(file)) {
                store.load(null, password);
                loadedModified = null;
                loadedSize = -1;
                return store;
            }
            SecureFiles.requireOwnerOnly(file);
            byte[] bytes = Files.readAllBytes(file);
            store.load(new ByteArrayInputStream(bytes), password);
            keyStore = store;
            remember();
            return store;
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new KmsAccessDeniedException("The password for " + file + " is wrong (set by " + passwordSetting + ")", e);
            }
            throw new KmsUnavailableException("Cannot read the KEK store " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new KmsUnavailableException("Cannot read the KEK store " + file + ": " + e.getMessage(), e);
        }
    }

    private void remember() throws IOException {
        loadedModified = Files.getLastModifiedTime(file);
        loadedSize = Files.size(file);
    }

    @Override
    public void close() {
        Arrays.fill(password, '\0');
    }
}
