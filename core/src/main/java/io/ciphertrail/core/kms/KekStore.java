package io.ciphertrail.core.kms;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/**
 * KEK versions kept as entries of a JCA {@link KeyStore} (a PKCS12 file, or a PKCS#11 token).
 * Entry names encode the alias in hex (PKCS12 folds names to lower case, so raw topic names could
 * collide) and the version: {@code ct-kek.<hex alias>.<version>}. A destroyed version leaves a marker
 * entry {@code ...<version>.destroyed} holding no key material, so "destroyed" can be told from "never existed".
 */
public abstract class KekStore implements AutoCloseable {
    private static final String PREFIX = "ct-kek.";
    private static final String DESTROYED = ".destroyed";
    private static final HexFormat HEX = HexFormat.of();
    /** Bytes of a key check value. */
    static final int CHECK_VALUE_LENGTH = 8;
    /**
     * The block a check value encrypts: 16 ASCII bytes, distinct from every block key derivation encrypts
     * (those end in 0x01 or 0x02, or in 0x44 0x03 and 0x44 0x04 for data keys), so the check value reveals nothing
     * derived keys are made of.
     */
    private static final byte[] CHECK_BLOCK = "ciphertrail-kcv1".getBytes(StandardCharsets.US_ASCII);

    /** KEK handles already read; reading a PKCS12 entry costs a password-based key derivation. */
    private final Map<KekRef, SecretKey> keys = new HashMap<>();
    /** Check values of the keys in {@link #keys}; dropped with them when the source changed. */
    private final Map<KekRef, byte[]> checkValues = new HashMap<>();

    /** The provider whose ciphers can use this store's keys ({@code null}: the JDK default). */
    protected abstract Provider cryptoProvider();

    /** The current key store content; implementations may reload it when the source changed. */
    protected abstract KeyStore keyStore();

    /** Reloads from the source (file or token); returns true if anything may have changed. */
    protected abstract boolean refresh();

    /** Runs {@code change} on the key store and makes it durable, excluding concurrent writers. */
    protected abstract void modify(KeyStoreChange change);

    private boolean reload() {
        boolean changed = refresh();
        if (changed) {
            keys.clear();
            checkValues.clear();
        }
        return changed;
    }

    private void write(KeyStoreChange change) {
        keys.clear();
        checkValues.clear();
        modify(change);
    }

    /** A new AES-256 KEK suitable for this store. */
    protected abstract SecretKey newKek();

    /** Protection for key entries, as the store type needs. */
    protected abstract KeyStore.ProtectionParameter protection();

    /** Where this store lives, for messages. */
    public abstract String description();

    @FunctionalInterface
    protected interface KeyStoreChange {
        void apply(KeyStore store) throws GeneralSecurityException;
    }

    static String entry(String alias, int version) {
        return PREFIX + HEX.formatHex(alias.getBytes(StandardCharsets.UTF_8)) + "." + version;
    }

    /**
     * The KEK for {@code ref}. Checks the source for changes first, so a version destroyed by another
     * process stops working here too (KMS operations are rare: one per data key).
     */
    public synchronized SecretKey key(KekRef ref) {
        reload();
        SecretKey cached = keys.get(ref);
        if (cached != null) {
            return cached;
        }
        Key key = lookup(ref);
        if (key instanceof SecretKey secret) {
            keys.put(ref, secret);
        }
        if (key instanceof SecretKey secret) {
            return secret;
        }
        if (contains(entry(ref.alias(), ref.version()) + DESTROYED)) {
            throw new KeyDestroyedException("KEK " + ref + " was destroyed; what it wrapped cannot be decrypted any more");
        }
        if (key != null) {
            throw new KeyNotUsableException("Entry for KEK " + ref + " in " + description() + " is not a secret key");
        }
        throw new UnknownKeyException("No KEK " + ref + " in " + description());
    }

    /**
     * The key check value of {@code ref}: the first {@value #CHECK_VALUE_LENGTH} bytes of AES-256 under the
     * KEK of the constant block {@code "ciphertrail-kcv1"} (ASCII). It tells two keys apart without revealing
     * either, and is computed where the key lives (inside a token, for PKCS#11).
     */
    synchronized byte[] checkValue(KekRef ref) {
        SecretKey key = key(ref);
        byte[] cached = checkValues.get(ref);
        if (cached == null) {
            try {
                Cipher ecb = cryptoProvider() == null
                        ? Cipher.getInstance("AES/ECB/NoPadding")
                        : Cipher.getInstance("AES/ECB/NoPadding", cryptoProvider());
                ecb.init(Cipher.ENCRYPT_MODE, key);
                cached = Arrays.copyOf(ecb.doFinal(CHECK_BLOCK), CHECK_VALUE_LENGTH);
            } catch (GeneralSecurityException e) {
                throw new KeyNotUsableException("KEK " + ref + " cannot compute its check value: " + e.getMessage(), e);
            }
            checkValues.put(ref, cached);
        }
        return cached.clone();
    }

    /**
     * The newest active version of {@code alias}. Re-reads the source first: rotations usually happen in
     * another process (an operator's command), and resolving is rare (once per refresh interval).
     */
    public synchronized Optional<KekRef> newest(String alias) {
        reload();
        return newestActive(alias);
    }

    public synchronized KekRef create(String alias) {
        reload();
        if (!versions(alias).isEmpty()) {
            throw new IllegalStateException("KEK alias '" + alias + "' already exists in " + description()
                    + "; use rotate to add a version");
        }
        return addVersion(alias, 1);
    }

    public synchronized KekRef rotate(String alias) {
        reload();
        List<KekInfo> versions = versions(alias);
        if (versions.isEmpty()) {
            throw new UnknownKeyException("No KEK alias '" + alias + "' in " + description() + " to rotate; create it first");
        }
        return addVersion(alias, versions.get(versions.size() - 1).ref().version() + 1);
    }

    public synchronized void destroy(KekRef ref) {
        reload();
        String name = entry(ref.alias(), ref.version());
        if (!contains(name)) {
            if (contains(name + DESTROYED)) {
                return;
            }
            throw new UnknownKeyException("No KEK " + ref + " in " + description());
        }
        SecretKey marker = newKek();
        write(store -> {
            store.deleteEntry(name);
            store.setEntry(name + DESTROYED, new KeyStore.SecretKeyEntry(marker), protection());
        });
    }

    public synchronized List<KekInfo> list() {
        reload();
        List<KekInfo> all = new ArrayList<>();
        try {
            for (String name : Collections.list(keyStore().aliases())) {
                parse(name).ifPresent(all::add);
            }
        } catch (GeneralSecurityException e) {
            throw new KmsUnavailableException("Cannot list keys in " + description() + ": " + e.getMessage(), e);
        }
        all.sort(Comparator.comparing((KekInfo i) -> i.ref().alias()).thenComparing(i -> i.ref().version()));
        return all;
    }

    List<KekInfo> versions(String alias) {
        return list().stream().filter(i -> i.ref().alias().equals(alias)).toList();
    }

    private Optional<KekRef> newestActive(String alias) {
        int version = 0;
        for (int v = 1; ; v++) {
            String name = entry(alias, v);
            if (contains(name)) {
                version = v;
            } else if (!contains(name + DESTROYED)) {
                break;
            }
        }
        return version == 0 ? Optional.empty() : Optional.of(new KekRef(alias, version));
    }

    private KekRef addVersion(String alias, int version) {
        SecretKey kek = newKek();
        KekRef ref = new KekRef(alias, version);
        write(store -> store.setEntry(entry(alias, version), new KeyStore.SecretKeyEntry(kek), protection()));
        return ref;
    }

    private Key lookup(KekRef ref) {
        try {
            return keyStore().getKey(entry(ref.alias(), ref.version()), password());
        } catch (GeneralSecurityException e) {
            throw new KmsAccessDeniedException("Cannot read KEK " + ref + " from " + description() + ": " + e.getMessage(), e);
        }
    }

    private char[] password() {
        return protection() instanceof KeyStore.PasswordProtection p ? p.getPassword() : null;
    }

    private boolean contains(String name) {
        try {
            return keyStore().containsAlias(name);
        } catch (GeneralSecurityException e) {
            throw new KmsUnavailableException("Cannot read " + description() + ": " + e.getMessage(), e);
        }
    }

    private Optional<KekInfo> parse(String name) throws GeneralSecurityException {
        if (!name.startsWith(PREFIX)) {
            return Optional.empty();
        }
        boolean destroyed = name.endsWith(DESTROYED);
        String body = name.substring(PREFIX.length(), name.length() - (destroyed ? DESTROYED.length() : 0));
        int dot = body.lastIndexOf('.');
        if (dot < 0) {
            return Optional.empty();
        }
        try {
            String alias = new String(HEX.parseHex(body.substring(0, dot)), StandardCharsets.UTF_8);
            int version = Integer.parseInt(body.substring(dot + 1));
            return Optional.of(new KekInfo(new KekRef(alias, version),
                    destroyed ? KekInfo.State.DESTROYED : KekInfo.State.ACTIVE, created(name)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** When an entry was created, or null where the store does not keep it (PKCS#11 tokens). */
    private Instant created(String name) throws GeneralSecurityException {
        try {
            Date created = keyStore().getCreationDate(name);
            return created == null ? null : created.toInstant();
        } catch (java.security.ProviderException | UnsupportedOperationException e) {
            return null;
        }
    }

    @Override
    public void close() {
    }
}
