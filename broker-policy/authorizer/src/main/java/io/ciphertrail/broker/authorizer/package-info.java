/**
 * The broker authorizer: Kafka's StandardAuthorizer with a transport check in front
 * ({@link io.ciphertrail.broker.authorizer.SecureTransportAuthorizer}) and its settings.
 */
package io.ciphertrail.broker.authorizer;
