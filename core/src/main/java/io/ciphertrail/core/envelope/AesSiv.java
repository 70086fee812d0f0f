package io.ciphertrail.core.envelope;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-SIV, deterministic authenticated encryption (RFC 5297), composed from the JDK's AES exactly as the
 * RFC describes it: S2V over AES-CMAC (RFC 4493, computed as CBC-MAC with the RFC's subkeys on
 * {@code AES/CBC/NoPadding}) and AES-CTR over the synthetic IV (counter blocks encrypted with
 * {@code AES/ECB/NoPadding}). Both run on the JDK's AES instructions; no primitive is written here.
 *
 * <p>The key is two AES keys of equal size, {@code K1 || K2} (32, 48 or 64 bytes): K1 for S2V, K2 for CTR.
 * Output: the 16-byte synthetic IV {@code V}, then the ciphertext, as long as the plaintext.
 *
 * <p>{@link #bind} precomputes S2V over fixed associated data (a topic and its key reference never change
 * for a record key), so each record costs one CMAC over its own bytes and one CTR pass. Thread-safe: the
 * JCA ciphers, already keyed, are kept per thread.
 */
final class AesSiv {
    static final int BLOCK = 16;
    private static final byte[] ZERO = new byte[BLOCK];

    private final SecretKeySpec macKey;
    private final SecretKeySpec ctrKey;
    /** CMAC subkeys of K1 (RFC 4493 §2.3). */
    private final byte[] subkey1;
    private final byte[] subkey2;
    private final ThreadLocal<Engines> engines;

    AesSiv(byte[] key) {
        if (key.length != 32 && key.length != 48 && key.length != 64) {
            throw new IllegalArgumentException("AES-SIV needs a 32, 48 or 64-byte key, got " + key.length);
        }
        int half = key.length / 2;
        this.macKey = new SecretKeySpec(key, 0, half, "AES");
        this.ctrKey = new SecretKeySpec(key, half, half, "AES");
        try {
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, macKey);
            byte[] l = ecb.doFinal(ZERO);
            this.subkey1 = dbl(l);
            this.subkey2 = dbl(subkey1);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("This JVM cannot run AES: " + e.getMessage(), e);
        }
        this.engines = ThreadLocal.withInitial(() -> new Engines(macKey, ctrKey));
    }

    /** AES-SIV with the associated data components fixed: S2V over them is computed once here. */
    Bound bind(byte[]... associatedData) {
        Engines e = engines.get();
        byte[] d = e.cmac(this, ZERO, 0, BLOCK);
        for (byte[] component : associatedData) {
            d = xor(dbl(d), e.cmac(this, component, 0, component.length));
        }
        return new Bound(d);
    }

    /** Encrypts with the associated data components in order (RFC 5297 §2.6). */
    byte[] encrypt(byte[] plaintext, byte[]... associatedData) {
        return bind(associatedData).encrypt(plaintext);
    }

    /** Decrypts {@code V || C}; a wrong key, associated data or any changed bit fails with {@link AEADBadTagException}. */
    byte[] decrypt(byte[] sealed, byte[]... associatedData) throws AEADBadTagException {
        return bind(associatedData).decrypt(sealed, 0, sealed.length);
    }

    /** AES-SIV bound to fixed associated data. */
    final class Bound {
        /** S2V's running value after the associated data: {@code D} before the last string. */
        private final byte[] d;

        private Bound(byte[] d) {
            this.d = d;
        }

        byte[] encrypt(byte[] plaintext) {
            byte[] out = new byte[BLOCK + plaintext.length];
            encryptInto(plaintext, out, 0);
            return out;
        }

        /** Writes {@code V || C} into {@code out} at {@code offset}. */
        void encryptInto(byte[] plaintext, byte[] out, int offset) {
            Engines e = engines.get();
            byte[] v = e.s2vLast(AesSiv.this, d, plaintext, 0, plaintext.length);
            System.arraycopy(v, 0, out, offset, BLOCK);
            e.ctr(v, plaintext, 0, plaintext.length, out, offset + BLOCK);
        }

        /** Decrypts {@code V || C} found at {@code offset} in {@code sealed}. */
        byte[] decrypt(byte[] sealed, int offset, int length) throws AEADBadTagException {
            if (length < BLOCK) {
                throw new AEADBadTagException("AES-SIV input of " + length + " bytes has no synthetic IV");
            }
            Engines e = engines.get();
            byte[] v = Arrays.copyOfRange(sealed, offset, offset + BLOCK);
            byte[] plaintext = new byte[length - BLOCK];
            e.ctr(v, sealed, offset + BLOCK, plaintext.length, plaintext, 0);
            byte[] expected = e.s2vLast(AesSiv.this, d, plaintext, 0, plaintext.length);
            if (!MessageDigest.isEqual(expected, v)) {
                Arrays.fill(plaintext, (byte) 0);
                throw new AEADBadTagException("AES-SIV synthetic IV does not verify");
            }
            return plaintext;
        }
    }

    /** One thread's keyed ciphers and scratch space. */
    private static final class Engines {
        private final Cipher cbc;
        private final Cipher ecb;
        private byte[] scratch = new byte[4 * BLOCK];
        private byte[] stream = new byte[4 * BLOCK];

        Engines(SecretKeySpec macKey, SecretKeySpec ctrKey) {
            try {
                cbc = Cipher.getInstance("AES/CBC/NoPadding");
                // After each doFinal a JCA cipher returns to its initialised state: the zero IV, ready for the next CMAC.
                cbc.init(Cipher.ENCRYPT_MODE, macKey, new IvParameterSpec(ZERO));
                ecb = Cipher.getInstance("AES/ECB/NoPadding");
                ecb.init(Cipher.ENCRYPT_MODE, ctrKey);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("This JVM cannot run AES: " + e.getMessage(), e);
            }
        }

        /** S2V's last step (RFC 5297 §2.4): the synthetic IV for the final string {@code s}, given {@code d}. */
        byte[] s2vLast(AesSiv siv, byte[] d, byte[] s, int from, int length) {
            if (length >= BLOCK) {
                byte[] t = room(length);
                System.arraycopy(s, from, t, 0, length);
                for (int i = 0; i < BLOCK; i++) {
                    t[length - BLOCK + i] ^= d[i]; // xorend
                }
                return cmac(siv, t, 0, length);
            }
            byte[] t = dbl(d);
            for (int i = 0; i < length; i++) {
                t[i] ^= s[from + i];
            }
            t[length] ^= (byte) 0x80; // pad: 10*
            return cmac(siv, t, 0, BLOCK);
        }

        /** AES-CMAC (RFC 4493 §2.4) of {@code length} bytes of {@code m}. */
        byte[] cmac(AesSiv siv, byte[] m, int from, int length) {
            int blocks = Math.max(1, (length + BLOCK - 1) / BLOCK);
            boolean complete = length > 0 && length % BLOCK == 0;
            byte[] buffer = length == 0 || m != scratch ? room(blocks * BLOCK) : scratch;
            if (buffer != m) {
                System.arraycopy(m, from, buffer, 0, length);
            }
            int last = (blocks - 1) * BLOCK;
            byte[] subkey;
            if (complete) {
                subkey = siv.subkey1;
            } else {
                int rest = length - last;
                buffer[last + rest] = (byte) 0x80;
                Arrays.fill(buffer, last + rest + 1, last + BLOCK, (byte) 0);
                subkey = siv.subkey2;
            }
            for (int i = 0; i < BLOCK; i++) {
                buffer[last + i] ^= subkey[i];
            }
            try {
                int n = blocks * BLOCK;
                byte[] out = output(n);
                cbc.doFinal(buffer, 0, n, out, 0);
                return Arrays.copyOfRange(out, n - BLOCK, n);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-CMAC failed: " + e.getMessage(), e);
            }
        }

        /** AES-CTR (RFC 5297 §2.5) from {@code v} with bits 31 and 63 cleared, over {@code length} bytes. */
        void ctr(byte[] v, byte[] in, int from, int length, byte[] out, int to) {
            if (length == 0) {
                return;
            }
            int blocks = (length + BLOCK - 1) / BLOCK;
            byte[] counters = room(blocks * BLOCK);
            byte[] q = v.clone();
            q[8] &= 0x7f;
            q[12] &= 0x7f;
            for (int b = 0; b < blocks; b++) {
                System.arraycopy(q, 0, counters, b * BLOCK, BLOCK);
                for (int i = BLOCK - 1; i >= 0 && ++q[i] == 0; i--) {
                    // carry into the next byte up: a 128-bit big-endian increment
                }
            }
            try {
                byte[] keystream = output(blocks * BLOCK);
                ecb.doFinal(counters, 0, blocks * BLOCK, keystream, 0);
                for (int i = 0; i < length; i++) {
                    out[to + i] = (byte) (in[from + i] ^ keystream[i]);
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-CTR failed: " + e.getMessage(), e);
            }
        }

        private byte[] room(int length) {
            if (scratch.length < length) {
                scratch = new byte[Integer.highestOneBit(length) << 1];
            }
            return scratch;
        }

        private byte[] output(int length) {
            if (stream.length < length) {
                stream = new byte[Integer.highestOneBit(length) << 1];
            }
            return stream;
        }
    }

    /** Doubling in GF(2^128) (RFC 5297 §2.3): shift left by one bit, xor 0x87 into the last byte on carry. */
    static byte[] dbl(byte[] block) {
        byte[] out = new byte[BLOCK];
        int carry = (block[0] & 0x80) != 0 ? 0x87 : 0;
        for (int i = 0; i < BLOCK - 1; i++) {
            out[i] = (byte) ((block[i] << 1) | ((block[i + 1] & 0xff) >>> 7));
        }
        out[BLOCK - 1] = (byte) ((block[BLOCK - 1] << 1) ^ carry);
        return out;
    }

    private static byte[] xor(byte[] a, byte[] b) {
        byte[] out = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            out[i] = (byte) (a[i] ^ b[i]);
        }
        return out;
    }
}
