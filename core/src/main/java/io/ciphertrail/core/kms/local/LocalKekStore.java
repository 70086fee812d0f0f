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
import org.apache.kafka.common.config.ConfigException;

/**
 * KEKs in a PKCS12 key store file, readable by its owner only and protected by a password. Several
 * processes on one machine may share the file: writers take a lock on {@code <file>.lock} and
 * replace the file atomically, readers reload it when it changed.
 *
 * <p>The file must exist: it is made only by {@link #createEmpty}. A process that started with the file
 * keeps the keys it read if the file disappears later, rather than continue with an empty store.
 */
final class LocalKekStore extends KekStore {
    private final Path file;
    private final char[] password;
    private final String passwordSetting;
    private final String pathSetting;
    private KeyStore keyStore;
    private FileTime loadedModified;
    private long loadedSize = -1;

    LocalKekStore(Path file, char[] password, String passwordSetting, String pathSetting) {
        this.file = file.toAbsolutePath();
        this.password = password;
        this.passwordSetting = passwordSetting;
        this.pathSetting = pathSetting;
        this.keyStore = load();
    }

    /**
     * Creates an empty, owner-only key store at {@code file}; refuses when one exists there, so an existing
     * store is never replaced. Zeroes {@code password}.
     */
    static void createEmpty(Path file, char[] password, String pathSetting) {
        Path target = file.toAbsolutePath();
        try {
            Files.createDirectories(target.getParent());
            try (FileChannel lockChannel = FileChannel.open(target.resolveSibling(target.getFileName() + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = lockChannel.lock()) {
                if (Files.exists(target)) {
                    throw new IllegalStateException("A key store already exists at " + target + " (" + pathSetting
                            + "); it was left as it is. Initializing is only for a new store");
                }
                KeyStore empty = KeyStore.getInstance("PKCS12");
                empty.load(null, password);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                empty.store(out, password);
                SecureFiles.writeOwnerOnly(target, out.toByteArray());
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new KmsUnavailableException("Cannot create the KEK store " + target + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(password, '\0');
        }
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
        if (!Files.exists(file)) {
            throw missing();
        }
        try (FileChannel lockChannel = FileChannel.open(file.resolveSibling(file.getFileName() + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockChannel.lock()) {
            keyStore = load();
            change.apply(keyStore);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            keyStore.store(out, password);
            SecureFiles.writeOwnerOnly(file, out.toByteArray());
            remember();
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
                throw missing();
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

    private ConfigException missing() {
        return new ConfigException(pathSetting, file.toString(), "no KEK store exists at this path. If it was moved"
                + " or lost, restore it (and its password) from your backup: records are readable only with the keys"
                + " that wrapped them. Only for a new deployment, create an empty one with 'ciphertrail keys init'");
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
