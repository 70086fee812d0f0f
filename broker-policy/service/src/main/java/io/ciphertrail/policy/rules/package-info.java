/**
 * Policies: the YAML file format, the compacted topic that holds them, the routes they give, and the topics
 * no route may lead to.
 */
package io.ciphertrail.policy.rules;
