package io.ciphertrail.core.kms;

import java.util.Arrays;
import java.util.Objects;

/**
 * A data key wrapped (encrypted) under a KEK: safe to store and send, useless without the KEK.
 * Travels in every envelope so any authorized consumer can unwrap it without a registry lookup.
 */
public final class Edek {
    private final KekRef kek;
    private final byte[] wrapped;
    private final int hash;

    public Edek(KekRef kek, byte[] wrapped) {
        this.kek = Objects.requireNonNull(kek, "kek");
        this.wrapped = wrapped.clone();
        this.hash = hash(kek.alias(), kek.version(), wrapped, 0, wrapped.length);
    }

    /**
     * The hash code of the wrapped key {@code data[offset, offset + length)} under {@code alias} and {@code version}:
     * with {@link #is} it lets a cache find a key by bytes lying inside a record, without copying them into an Edek.
     */
    public static int hash(String alias, int version, byte[] data, int offset, int length) {
        int bytes = 1;
        for (int i = offset; i < offset + length; i++) {
            bytes = 31 * bytes + data[i];
        }
        return 31 * (31 * alias.hashCode() + version) + bytes;
    }

    /** True when this is the wrapped key {@code data[offset, offset + length)} under {@code alias} and {@code version}. */
    public boolean is(String alias, int version, byte[] data, int offset, int length) {
        return kek.version() == version && Arrays.equals(wrapped, 0, wrapped.length, data, offset, offset + length)
                && kek.alias().equals(alias);
    }

    public KekRef kek() {
        return kek;
    }

    public byte[] wrapped() {
        return wrapped.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Edek edek && hash == edek.hash && kek.equals(edek.kek) && Arrays.equals(wrapped, edek.wrapped);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "Edek[" + kek + ", " + wrapped.length + " bytes]";
    }
}
