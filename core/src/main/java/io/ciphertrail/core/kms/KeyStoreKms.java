package io.ciphertrail.core.kms;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The KMS behind the {@code local} and {@code pkcs11} providers: KEKs live in a {@link KekStore}
 * and are used only through ciphers of the store's provider, so a token's non-extractable keys
 * never leave the token.
 *
 * <p>Wrapping is AES-256-GCM under the KEK with a random 96-bit IV and the KEK reference as associated
 * data: a wrapped key moved to another alias or version fails to unwrap. The wrapped form is
 * {@code IV (12) || ciphertext (32) || tag (16)}. Derived keys (for deterministic record-key encryption)
 * are two AES blocks under the KEK over distinct inputs taken from SHA-256 of the purpose: AES used as a
 * pseudo-random function, computable inside a token that offers no HMAC or CMAC on AES keys.
 */
public final class KeyStoreKms implements Kms, KmsAdmin {
    private static final int IV_LENGTH = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KekStore store;
    private final Executor executor;
    private final boolean autoCreate;

    /**
     * @param executor   where KMS work runs (a token call may block; in-memory keys may run inline);
     *                   an {@link ExecutorService} is shut down on {@link #close()}
     * @param autoCreate create a missing alias on first use (development only)
     */
    public KeyStoreKms(KekStore store, Executor executor, boolean autoCreate) {
        this.store = store;
        this.executor = executor;
        this.autoCreate = autoCreate;
    }

    @Override
    public CompletionStage<KekRef> resolveAlias(String alias) {
        return async(() -> store.newest(alias).orElseGet(() -> {
            if (autoCreate) {
                try {
                    return store.create(alias);
                } catch (IllegalStateException raced) {
                    return store.newest(alias).orElseThrow(() -> raced);
                }
            }
            if (!store.versions(alias).isEmpty()) {
                throw new KeyDestroyedException("Every version of KEK alias '" + alias + "' was destroyed: the topic is shredded;"
                        + " create a new alias (or version) before writing to it again");
            }
            throw new UnknownKeyException("No active KEK with alias '" + alias + "' in " + store.description());
        }));
    }

    @Override
    public CompletionStage<GeneratedDek> generateDek(KekRef kek) {
        return async(() -> {
            Dek dek = Dek.generate();
            byte[] material = dek.copyMaterial();
            try {
                byte[] iv = new byte[IV_LENGTH];
                RANDOM.nextBytes(iv);
                Cipher cipher = cipher(Cipher.ENCRYPT_MODE, store.key(kek), iv, kek);
                byte[] sealed = cipher.doFinal(material);
                return new GeneratedDek(dek, new Edek(kek, ByteBuffer.allocate(IV_LENGTH + sealed.length).put(iv).put(sealed).array()));
            } catch (GeneralSecurityException e) {
                dek.destroy();
                throw new KeyNotUsableException("KEK " + kek + " cannot wrap data keys: " + e.getMessage(), e);
            } finally {
                Arrays.fill(material, (byte) 0);
            }
        });
    }

    @Override
    public CompletionStage<Dek> unwrap(Edek edek) {
        return async(() -> {
            byte[] wrapped = edek.wrapped();
            if (wrapped.length != IV_LENGTH + Dek.LENGTH + TAG_BITS / 8) {
                throw new InvalidWrappedKeyException("Wrapped key under " + edek.kek() + " has " + wrapped.length
                        + " bytes; expected " + (IV_LENGTH + Dek.LENGTH + TAG_BITS / 8), null);
            }
            try {
                Cipher cipher = cipher(Cipher.DECRYPT_MODE, store.key(edek.kek()), Arrays.copyOf(wrapped, IV_LENGTH), edek.kek());
                return Dek.adopt(cipher.doFinal(wrapped, IV_LENGTH, wrapped.length - IV_LENGTH));
            } catch (AEADBadTagException e) {
                throw new InvalidWrappedKeyException("Wrapped key does not verify under KEK " + edek.kek()
                        + ": it was altered or wrapped by another key", e);
            } catch (GeneralSecurityException e) {
                throw new KeyNotUsableException("KEK " + edek.kek() + " cannot unwrap data keys: " + e.getMessage(), e);
            }
        });
    }

    @Override
    public CompletionStage<Dek> deriveKey(KekRef kek, String purpose) {
        return async(() -> {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256")
                        .digest(("ciphertrail derived key v1\0" + kek.alias() + "\0" + kek.version() + "\0" + purpose)
                                .getBytes(StandardCharsets.UTF_8));
                byte[] blocks = new byte[32];
                System.arraycopy(digest, 0, blocks, 0, 15);
                blocks[15] = 1;
                System.arraycopy(digest, 0, blocks, 16, 15);
                blocks[31] = 2;
                Cipher ecb = store.cryptoProvider() == null
                        ? Cipher.getInstance("AES/ECB/NoPadding")
                        : Cipher.getInstance("AES/ECB/NoPadding", store.cryptoProvider());
                ecb.init(Cipher.ENCRYPT_MODE, store.key(kek));
                return Dek.adopt(ecb.doFinal(blocks));
            } catch (GeneralSecurityException e) {
                throw new KeyNotUsableException("KEK " + kek + " cannot derive keys: " + e.getMessage(), e);
            }
        });
    }

    private Cipher cipher(int mode, SecretKey kek, byte[] iv, KekRef ref) throws GeneralSecurityException {
        Cipher cipher = store.cryptoProvider() == null
                ? Cipher.getInstance("AES/GCM/NoPadding")
                : Cipher.getInstance("AES/GCM/NoPadding", store.cryptoProvider());
        cipher.init(mode, kek, new GCMParameterSpec(TAG_BITS, iv));
        cipher.updateAAD(("ciphertrail edek v1\0" + ref.alias() + "\0" + ref.version()).getBytes(StandardCharsets.UTF_8));
        return cipher;
    }

    private <T> CompletionStage<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, executor);
    }

    @Override
    public KekRef create(String alias) {
        return store.create(alias);
    }

    @Override
    public KekRef rotate(String alias) {
        return store.rotate(alias);
    }

    @Override
    public List<KekInfo> list() {
        return store.list();
    }

    @Override
    public void destroy(KekRef version) {
        store.destroy(version);
    }

    @Override
    public void destroyAll(String alias) {
        List<KekInfo> versions = store.versions(alias);
        if (versions.isEmpty()) {
            throw new UnknownKeyException("No KEK alias '" + alias + "' in " + store.description());
        }
        versions.stream().filter(v -> v.state() == KekInfo.State.ACTIVE).forEach(v -> store.destroy(v.ref()));
    }

    @Override
    public void close() {
        if (executor instanceof ExecutorService service) {
            service.shutdown();
        }
        store.close();
    }

    @Override
    public String toString() {
        return "KeyStoreKms[" + store.description() + "]";
    }
}
