package io.ciphertrail.core.io;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.config.ConfigException;

/** Base URLs of the platform's HTTPS services (key service, trust service), as settings list them. */
public final class HttpsUrls {
    private HttpsUrls() {
    }

    /**
     * {@code https://host[:port]} URLs without a path (a trailing slash is dropped).
     *
     * @param setting the setting that lists them, named in every error
     * @param what    what travels over them, for the error about another scheme (e.g. "keys")
     */
    public static List<URI> parse(String setting, List<String> values, String what) {
        List<URI> urls = new ArrayList<>();
        for (String value : values) {
            try {
                URI uri = new URI(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
                if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                    throw new ConfigException(setting, value, "must be an https:// URL with a host: " + what + " travel only over TLS");
                }
                if (uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
                    throw new ConfigException(setting, value, "give the base URL only (https://host:port), without a path");
                }
                urls.add(uri);
            } catch (URISyntaxException e) {
                throw new ConfigException(setting, value, "not a URL: " + e.getReason());
            }
        }
        return urls;
    }
}
