/**
 * Key policies: which workload identities may use which KEKs for what. A YAML file of rules shaped like
 * KMS key policies and Istio authorization policies (effect, principals, key alias patterns, operations),
 * default deny, explicit DENY first, optional DRY_RUN; validated with errors that name the rule, and
 * re-read while the service runs ({@link io.ciphertrail.trust.policy.KeyPolicySource}).
 */
package io.ciphertrail.trust.policy;
