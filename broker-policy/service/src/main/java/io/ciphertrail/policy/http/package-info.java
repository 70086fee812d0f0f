/** The /health and /metrics endpoint. */
package io.ciphertrail.policy.http;
