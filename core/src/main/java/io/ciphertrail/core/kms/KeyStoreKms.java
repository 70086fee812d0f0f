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
 * <p>Data keys are <b>derived</b> (wrapped-key format 3, written by {@link #generateDek}): the KMS picks a random
 * 14-byte nonce and the data key is AES-256 under the KEK of the two blocks {@code nonce || 44 03} and
 * {@code nonce || 44 04} (AES as a pseudo-random function, computable inside a PKCS#11 token); what travels is
 * {@code 0x03 || check value (4) || nonce (14)}, 19 bytes, and {@link #unwrap} derives the key again. Only the KMS
 * picks nonces, so a caller that may only generate data keys never learns another record's key. The blocks end in
 * {@code 44 03} or {@code 44 04}, which no other use of a KEK produces: {@link #deriveKey} blocks end in {@code 01} or
 * {@code 02}, the check value block in {@code 31}, and AES-GCM's blocks (format 2) in {@code 00 00 00 0n} or are all
 * zero. Bounds and reasoning: {@code docs/key-management.md}.
 *
 * <p>Format 2 (written by {@link #generateDekForEarlierReaders}, for readers of releases before envelope version 2)
 * wraps a random data key with AES-256-GCM under the KEK, a random 96-bit IV and the KEK reference as associated
 * data: {@code 0x02 || check value (8) || IV (12) || ciphertext (32) || tag (16)}. Format 1, the same without format
 * byte and check value, is still unwrapped. The check value identifies the KEK's material (see
 * {@link KekStore#checkValue}), so a data key made under another key of the same alias and version is reported as
 * such ({@link KekMismatchException}) instead of as an altered key. Format 3 compares its check value before deriving
 * (a derived key has no tag of its own: the record's tag decides); format 2 only once its tag failed. Derived keys
 * for deterministic record-key encryption ({@link #deriveKey}) are two AES blocks under the KEK over distinct inputs
 * taken from SHA-256 of the purpose.
 */
public final class KeyStoreKms implements Kms, KmsAdmin {
    private static final int IV_LENGTH = 12;
    private static final int TAG_BITS = 128;
    /** Version 1: {@code IV || ciphertext || tag}, no check value. */
    private static final int V1_LENGTH = IV_LENGTH + Dek.LENGTH + TAG_BITS / 8;
    /** Version 2: a format byte and the KEK's check value in front of the version 1 layout. */
    private static final byte V2 = 2;
    private static final int V2_LENGTH = 1 + KekStore.CHECK_VALUE_LENGTH + V1_LENGTH;
    /** Format 3: a format byte, the first bytes of the KEK's check value and the nonce the data key is derived from. */
    private static final byte V3 = 3;
    private static final int V3_CHECK_LENGTH = 4;
    private static final int NONCE_LENGTH = 14;
    private static final int V3_LENGTH = 1 + V3_CHECK_LENGTH + NONCE_LENGTH;
    /** The two bytes after the nonce in the blocks a format 3 data key is derived from: 'D' and the block number. */
    private static final byte DERIVED_DEK_MARK = 0x44;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KekStore store;
    private final Executor executor;

    /**
     * @param executor where KMS work runs (a token call may block; in-memory keys may run inline);
     *                 an {@link ExecutorService} is shut down on {@link #close()}
     */
    public KeyStoreKms(KekStore store, Executor executor) {
        this.store = store;
        this.executor = executor;
    }

    @Override
    public CompletionStage<KekRef> resolveAlias(String alias) {
        return async(() -> store.newest(alias).orElseGet(() -> {
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
            byte[] nonce = new byte[NONCE_LENGTH];
            RANDOM.nextBytes(nonce);
            Dek dek = derivedDataKey(kek, nonce);
            byte[] checkValue = store.checkValue(kek);
            return new GeneratedDek(dek, new Edek(kek, ByteBuffer.allocate(V3_LENGTH)
                    .put(V3).put(checkValue, 0, V3_CHECK_LENGTH).put(nonce).array()));
        });
    }

    @Override
    public CompletionStage<GeneratedDek> generateDekForEarlierReaders(KekRef kek) {
        return async(() -> {
            Dek dek = Dek.generate();
            byte[] material = dek.copyMaterial();
            try {
                byte[] iv = new byte[IV_LENGTH];
                RANDOM.nextBytes(iv);
                SecretKey key = store.key(kek);
                byte[] checkValue = store.checkValue(kek);
                byte[] sealed = cipher(Cipher.ENCRYPT_MODE, key, iv, aad(V2, kek)).doFinal(material);
                return new GeneratedDek(dek, new Edek(kek, ByteBuffer.allocate(V2_LENGTH)
                        .put(V2).put(checkValue).put(iv).put(sealed).array()));
            } catch (GeneralSecurityException e) {
                dek.destroy();
                throw new KeyNotUsableException("KEK " + kek + " cannot wrap data keys: " + e.getMessage(), e);
            } finally {
                Arrays.fill(material, (byte) 0);
            }
        });
    }

    /** The format 3 data key of {@code nonce}: AES under the KEK of {@code nonce || 44 03} and {@code nonce || 44 04}. */
    private Dek derivedDataKey(KekRef kek, byte[] nonce) {
        byte[] blocks = new byte[2 * 16];
        for (int block = 0; block < 2; block++) {
            System.arraycopy(nonce, 0, blocks, 16 * block, NONCE_LENGTH);
            blocks[16 * block + 14] = DERIVED_DEK_MARK;
            blocks[16 * block + 15] = (byte) (3 + block);
        }
        try {
            return Dek.adopt(ecb(kek).doFinal(blocks));
        } catch (GeneralSecurityException e) {
            throw new KeyNotUsableException("KEK " + kek + " cannot derive data keys: " + e.getMessage(), e);
        }
    }

    private Cipher ecb(KekRef kek) throws GeneralSecurityException {
        Cipher ecb = store.cryptoProvider() == null
                ? Cipher.getInstance("AES/ECB/NoPadding")
                : Cipher.getInstance("AES/ECB/NoPadding", store.cryptoProvider());
        ecb.init(Cipher.ENCRYPT_MODE, store.key(kek));
        return ecb;
    }

    @Override
    public CompletionStage<Dek> unwrap(Edek edek) {
        return async(() -> {
            byte[] wrapped = edek.wrapped();
            if (wrapped.length == V1_LENGTH) {
                return open(edek.kek(), store.key(edek.kek()), wrapped, 0, aad(1, edek.kek()));
            }
            if (wrapped.length == V3_LENGTH && wrapped[0] == V3) {
                if (!MessageDigest.isEqual(Arrays.copyOf(store.checkValue(edek.kek()), V3_CHECK_LENGTH),
                        Arrays.copyOfRange(wrapped, 1, 1 + V3_CHECK_LENGTH))) {
                    throw mismatch(edek.kek());
                }
                return derivedDataKey(edek.kek(), Arrays.copyOfRange(wrapped, 1 + V3_CHECK_LENGTH, V3_LENGTH));
            }
            if (wrapped.length != V2_LENGTH || wrapped[0] != V2) {
                throw new InvalidWrappedKeyException("Wrapped key under " + edek.kek() + " has " + wrapped.length
                        + " bytes and format " + (wrapped.length == 0 ? "none" : wrapped[0]) + "; expected " + V3_LENGTH
                        + " bytes of format " + V3 + ", " + V2_LENGTH + " of format " + V2 + " or " + V1_LENGTH
                        + " of format 1", null);
            }
            try {
                return open(edek.kek(), store.key(edek.kek()), wrapped, 1 + KekStore.CHECK_VALUE_LENGTH, aad(V2, edek.kek()));
            } catch (InvalidWrappedKeyException e) {
                // Only now ask which: the check value names the failure, the tag alone decides what is trusted.
                if (MessageDigest.isEqual(store.checkValue(edek.kek()), Arrays.copyOfRange(wrapped, 1, 1 + KekStore.CHECK_VALUE_LENGTH))) {
                    throw e;
                }
                throw mismatch(edek.kek());
            }
        });
    }

    /** Another key under this name: the store was replaced (or the record forged by someone without the key). */
    private KekMismatchException mismatch(KekRef kek) {
        return new KekMismatchException(store.description() + " holds another key under " + kek
                + " than the one that wrapped this data key; restore the key store (or token) that held the original");
    }

    /** Unwraps {@code IV || ciphertext || tag} starting at {@code offset}. */
    private Dek open(KekRef kek, SecretKey key, byte[] wrapped, int offset, byte[] aad) {
        try {
            Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, Arrays.copyOfRange(wrapped, offset, offset + IV_LENGTH), aad);
            return Dek.adopt(cipher.doFinal(wrapped, offset + IV_LENGTH, wrapped.length - offset - IV_LENGTH));
        } catch (AEADBadTagException e) {
            throw new InvalidWrappedKeyException("Wrapped key does not verify under KEK " + kek
                    + ": it was altered or wrapped by another key", e);
        } catch (GeneralSecurityException e) {
            throw new KeyNotUsableException("KEK " + kek + " cannot unwrap data keys: " + e.getMessage(), e);
        }
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
                return Dek.adopt(ecb(kek).doFinal(blocks));
            } catch (GeneralSecurityException e) {
                throw new KeyNotUsableException("KEK " + kek + " cannot derive keys: " + e.getMessage(), e);
            }
        });
    }

    private Cipher cipher(int mode, SecretKey kek, byte[] iv, byte[] aad) throws GeneralSecurityException {
        Cipher cipher = store.cryptoProvider() == null
                ? Cipher.getInstance("AES/GCM/NoPadding")
                : Cipher.getInstance("AES/GCM/NoPadding", store.cryptoProvider());
        cipher.init(mode, kek, new GCMParameterSpec(TAG_BITS, iv));
        cipher.updateAAD(aad);
        return cipher;
    }

    /** Associated data of a wrapped key: the format version and the KEK reference. */
    private static byte[] aad(int format, KekRef ref) {
        return ("ciphertrail edek v" + format + "\0" + ref.alias() + "\0" + ref.version()).getBytes(StandardCharsets.UTF_8);
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
