/**
 * Real TLS-only Kafka for tests, the demo and local development: one node in this JVM
 * ({@link io.ciphertrail.embedded.EmbeddedSecureKafka}), several nodes each in a JVM of its own that a test
 * can kill, freeze and restart ({@link io.ciphertrail.embedded.MultiNodeSecureKafka},
 * {@link io.ciphertrail.embedded.ClusterNode}), or one node in a container
 * ({@link io.ciphertrail.embedded.ContainerSecureKafka}); all behind
 * {@link io.ciphertrail.embedded.SecureKafkaCluster} and the JUnit extension
 * {@link io.ciphertrail.embedded.WithSecureKafka}. The broker settings of every node, and of the docker/
 * deployment, come from {@link io.ciphertrail.embedded.BrokerSettings}.
 */
package io.ciphertrail.embedded;
