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
        this.hash = 31 * kek.hashCode() + Arrays.hashCode(wrapped);
    }

    public KekRef kek() {
        return kek;
    }

    public byte[] wrapped() {
        return wrapped.clone();
    }

    int wrappedLength() {
        return wrapped.length;
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
