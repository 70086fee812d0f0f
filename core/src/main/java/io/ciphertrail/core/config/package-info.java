/** Configuration helpers shared by every module's {@code ConfigDef}s: validators of setting values. */
package io.ciphertrail.core.config;
