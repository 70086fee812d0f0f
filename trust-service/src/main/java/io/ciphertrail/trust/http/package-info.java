/**
 * The trust service's HTTP side on Jetty: the API listener (HTTPS, mutual TLS required, TLS settings and
 * engines from core's {@code ReloadingSslEngineFactory} exactly as a Kafka listener's, principals mapped by
 * Kafka's own {@code ssl.principal.mapping.rules} code), request size and per-principal rate limits, the
 * versioned JSON API ({@code /v1/keys/...}; {@code /v1/certificates/...} is kept for the workload CA), and a
 * plain management listener for {@code /health} and Prometheus {@code /metrics}.
 */
package io.ciphertrail.trust.http;
