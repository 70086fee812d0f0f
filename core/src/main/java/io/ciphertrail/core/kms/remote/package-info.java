/**
 * {@code ciphertrail.kms.type=remote}: the KMS is a Ciphertrail key service reached over HTTPS with
 * mutual TLS, authenticated by the client's own Kafka TLS identity, so no KMS secret exists in the client.
 * The protocol types here ({@link io.ciphertrail.core.kms.remote.KeyServiceApi}, {@link io.ciphertrail.core.kms.remote.KmsError})
 * are shared with the server, so both ends agree on paths, fields and failure kinds.
 */
package io.ciphertrail.core.kms.remote;
