package io.ciphertrail.core.kms;

import io.ciphertrail.core.io.SecureFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.kafka.common.config.ConfigException;

/**
 * Reads a secret (a key store password, a token PIN) from an environment variable or an owner-only
 * file, never from a configuration value, so it cannot end up in a logged configuration dump.
 */
public final class SecretSource {
    private SecretSource() {
    }

    /**
     * @param fileSetting the setting naming the file (used when set), for messages
     * @param file        the file's path, or blank
     * @param envSetting  the setting naming the environment variable, for messages
     * @param envVariable the variable's name
     */
    public static char[] read(String fileSetting, String file, String envSetting, String envVariable) {
        if (file != null && !file.isBlank()) {
            Path path = Path.of(file);
            if (!Files.isReadable(path)) {
                throw new ConfigException(fileSetting, file, "the secret file does not exist or cannot be read");
            }
            SecureFiles.requireOwnerOnly(path);
            try {
                byte[] bytes = Files.readAllBytes(path);
                try {
                    return trimmed(StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes)));
                } finally {
                    Arrays.fill(bytes, (byte) 0);
                }
            } catch (IOException e) {
                throw new ConfigException(fileSetting, file, "cannot read the secret file: " + e.getMessage());
            }
        }
        String value = envVariable == null || envVariable.isBlank() ? null : System.getenv(envVariable);
        if (value == null || value.isEmpty()) {
            throw new ConfigException(envSetting, envVariable, "the environment variable is not set. Set it, or point "
                    + fileSetting + " at an owner-only file holding the secret");
        }
        return value.toCharArray();
    }

    /** Drops a trailing newline, as editors and {@code echo} add one. */
    private static char[] trimmed(CharBuffer chars) {
        int end = chars.limit();
        while (end > 0 && (chars.get(end - 1) == '\n' || chars.get(end - 1) == '\r')) {
            end--;
        }
        char[] secret = new char[end];
        chars.get(secret, 0, end);
        Arrays.fill(chars.array(), '\0');
        return secret;
    }
}
