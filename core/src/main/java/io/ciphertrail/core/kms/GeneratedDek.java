package io.ciphertrail.core.kms;

/** A fresh data key and its wrapped form, as the KMS returns them together. */
public record GeneratedDek(Dek dek, Edek edek) {
}
