package io.ciphertrail.core.kms;

import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.Destroyable;

/**
 * A data encryption key: 256 bits for AES, held in memory only as long as it is used.
 * {@link #destroy()} zeroes the material this object owns (JCA key objects made from it may keep
 * copies the JDK gives no way to clear). Never printed.
 */
public final class Dek implements Destroyable {
    public static final int LENGTH = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] material;
    private final SecretKeySpec key;
    private volatile boolean destroyed;

    private Dek(byte[] material) {
        if (material.length != LENGTH) {
            throw new IllegalArgumentException("A data key has " + LENGTH + " bytes, got " + material.length);
        }
        this.material = material;
        this.key = new SecretKeySpec(material, "AES");
    }

    /** A new random key from {@link SecureRandom}. */
    public static Dek generate() {
        byte[] material = new byte[LENGTH];
        RANDOM.nextBytes(material);
        return new Dek(material);
    }

    /** Takes ownership of {@code material}: the caller must not keep or reuse the array. */
    public static Dek adopt(byte[] material) {
        return new Dek(material);
    }

    /** The key for JCA ciphers. */
    public SecretKey secretKey() {
        requireLive();
        return key;
    }

    /** A copy of the key bytes, for wrapping; the caller zeroes it when done. */
    public byte[] copyMaterial() {
        requireLive();
        return material.clone();
    }

    private void requireLive() {
        if (destroyed) {
            throw new IllegalStateException("This data key was destroyed");
        }
    }

    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(material, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "Dek[" + (destroyed ? "destroyed" : "live") + "]";
    }
}
