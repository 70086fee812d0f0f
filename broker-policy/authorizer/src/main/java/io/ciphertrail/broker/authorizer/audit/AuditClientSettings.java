package io.ciphertrail.broker.authorizer.audit;

import io.ciphertrail.broker.authorizer.SecureTransportConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * The audit clients' connection settings, derived from the broker configuration the authorizer gets
 * in {@code configure()}: the broker talks to the cluster as itself, over the audit listener (by
 * default the inter-broker listener), with that listener's {@code listener.name.<x>.ssl.*} settings,
 * falling back to the broker-wide {@code ssl.*} ones, exactly as the broker's own inter-broker client
 * resolves them. The listener must be SSL or SASL_SSL: audit events never travel in clear.
 *
 * <p>{@link #toString()} names the listener, address and the keys in use, never a value of a secret.
 */
public final class AuditClientSettings {
    private static final Set<String> CLIENT_SSL_KEYS = clientSslKeys();
    private static final List<String> CLIENT_SASL_KEYS = List.of(
            SaslConfigs.SASL_JAAS_CONFIG, SaslConfigs.SASL_KERBEROS_SERVICE_NAME,
            SaslConfigs.SASL_CLIENT_CALLBACK_HANDLER_CLASS, SaslConfigs.SASL_LOGIN_CALLBACK_HANDLER_CLASS,
            SaslConfigs.SASL_LOGIN_CLASS);

    private final String listener;
    private final SecurityProtocol protocol;
    private final String bootstrapServers;
    private final Map<String, Object> settings;

    private AuditClientSettings(String listener, SecurityProtocol protocol, String bootstrapServers, Map<String, Object> settings) {
        this.listener = listener;
        this.protocol = protocol;
        this.bootstrapServers = bootstrapServers;
        this.settings = settings;
    }

    /** Derives the settings, or explains with the setting to change why it cannot. */
    public static AuditClientSettings derive(Map<String, ?> broker, SecureTransportConfig config) {
        Map<String, SecurityProtocol> protocols = securityProtocolMap(broker);
        String listener = config.auditListener();
        String listenerKey = SecureTransportConfig.AUDIT_LISTENER_CONFIG;
        if (listener.isEmpty()) {
            listener = interBrokerListenerName(broker);
            listenerKey = "inter.broker.listener.name";
            if (!protocols.containsKey(listener) && !controllerListenerNames(broker).isEmpty()
                    && !config.auditBootstrapServers().isEmpty()) {
                // A controller-only node: it talks to brokers as its own controller identity.
                listener = controllerListenerNames(broker).get(0);
                listenerKey = "controller.listener.names";
            }
        }
        SecurityProtocol protocol = protocols.get(listener);
        if (protocol == null) {
            throw new ConfigException(listenerKey, listener, "the audit producer's listener is not in listener.security.protocol.map;"
                    + " set " + SecureTransportConfig.AUDIT_LISTENER_CONFIG + " to one of " + protocols.keySet()
                    + " or " + SecureTransportConfig.AUDIT_PUBLISH_CONFIG + "=false");
        }
        if (protocol != SecurityProtocol.SSL && protocol != SecurityProtocol.SASL_SSL) {
            throw new ConfigException(listenerKey, listener, "the audit producer would publish over " + protocol
                    + " and audit events never travel in clear; make this listener SSL (mutual TLS), point "
                    + SecureTransportConfig.AUDIT_LISTENER_CONFIG + " at an SSL listener, or set "
                    + SecureTransportConfig.AUDIT_PUBLISH_CONFIG + "=false to only log them");
        }
        String bootstrap = config.auditBootstrapServers().isEmpty()
                ? ownAddress(broker, listener)
                : String.join(",", config.auditBootstrapServers());

        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        settings.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol.name);
        String listenerPrefix = "listener.name." + listener.toLowerCase(Locale.ROOT) + ".";
        for (String key : CLIENT_SSL_KEYS) {
            Object value = firstNonNull(broker.get(listenerPrefix + key), broker.get(key));
            if (value != null) {
                settings.put(key, value instanceof Password password ? password : value.toString());
            }
        }
        if (protocol == SecurityProtocol.SASL_SSL) {
            String mechanism = String.valueOf(firstNonNull(broker.get(BrokerKeys.SASL_MECHANISM_INTER_BROKER), SaslConfigs.DEFAULT_SASL_MECHANISM));
            settings.put(SaslConfigs.SASL_MECHANISM, mechanism);
            String mechanismPrefix = listenerPrefix + mechanism.toLowerCase(Locale.ROOT) + ".";
            for (String key : CLIENT_SASL_KEYS) {
                Object value = firstNonNull(broker.get(mechanismPrefix + key), broker.get(listenerPrefix + key), broker.get(key));
                if (value != null) {
                    settings.put(key, value instanceof Password password ? password : value.toString());
                }
            }
        }
        return new AuditClientSettings(listener, protocol, bootstrap, settings);
    }

    /** The settings for a Kafka client (a fresh copy; it holds secrets). */
    public Map<String, Object> clientSettings() {
        return new LinkedHashMap<>(settings);
    }

    public String listener() {
        return listener;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public SecurityProtocol securityProtocol() {
        return protocol;
    }

    @Override
    public String toString() {
        return "AuditClientSettings[listener=" + listener + ", securityProtocol=" + protocol + ", bootstrap=" + bootstrapServers
                + ", keys=" + new TreeSet<>(settings.keySet()) + "]";
    }

    public static String interBrokerListenerName(Map<String, ?> broker) {
        Object name = broker.get(BrokerKeys.INTER_BROKER_LISTENER_NAME);
        if (name != null && !name.toString().isBlank()) {
            return name.toString().trim().toUpperCase(Locale.ROOT);
        }
        Object protocol = broker.get(BrokerKeys.INTER_BROKER_SECURITY_PROTOCOL);
        return protocol == null || protocol.toString().isBlank() ? SecurityProtocol.PLAINTEXT.name
                : protocol.toString().trim().toUpperCase(Locale.ROOT);
    }

    public static List<String> controllerListenerNames(Map<String, ?> broker) {
        return splitList(broker.get(BrokerKeys.CONTROLLER_LISTENER_NAMES)).stream()
                .map(l -> l.toUpperCase(Locale.ROOT)).toList();
    }

    /** {@code listener.security.protocol.map}, or Kafka's default (each protocol's name maps to itself). */
    public static Map<String, SecurityProtocol> securityProtocolMap(Map<String, ?> broker) {
        Map<String, SecurityProtocol> map = new LinkedHashMap<>();
        List<String> entries = splitList(broker.get(BrokerKeys.LISTENER_SECURITY_PROTOCOL_MAP));
        if (entries.isEmpty()) {
            for (SecurityProtocol protocol : SecurityProtocol.values()) {
                map.put(protocol.name, protocol);
            }
            return map;
        }
        for (String entry : entries) {
            int colon = entry.indexOf(':');
            if (colon <= 0) {
                throw new ConfigException(BrokerKeys.LISTENER_SECURITY_PROTOCOL_MAP, broker.get(BrokerKeys.LISTENER_SECURITY_PROTOCOL_MAP),
                        "entries are LISTENER:PROTOCOL");
            }
            map.put(entry.substring(0, colon).trim().toUpperCase(Locale.ROOT),
                    SecurityProtocol.forName(entry.substring(colon + 1).trim().toUpperCase(Locale.ROOT)));
        }
        return map;
    }

    /** The names of the listeners this node opens ({@code listeners}), upper case. */
    public static List<String> listenerNames(Map<String, ?> broker) {
        List<String> names = new ArrayList<>();
        for (String entry : splitList(broker.get(BrokerKeys.LISTENERS))) {
            int separator = entry.indexOf("://");
            if (separator > 0) {
                names.add(entry.substring(0, separator).trim().toUpperCase(Locale.ROOT));
            }
        }
        return names;
    }

    /**
     * The SASL mechanisms a listener accepts: {@code listener.name.<listener>.sasl.enabled.mechanisms}, else
     * {@code sasl.enabled.mechanisms}, else Kafka's default (GSSAPI).
     */
    public static List<String> saslMechanisms(Map<String, ?> broker, String listener) {
        Object own = broker.get("listener.name." + listener.toLowerCase(Locale.ROOT) + "." + BrokerKeys.SASL_ENABLED_MECHANISMS);
        Object mechanisms = own != null ? own : broker.get(BrokerKeys.SASL_ENABLED_MECHANISMS);
        return mechanisms == null ? List.of("GSSAPI")
                : splitList(mechanisms).stream().map(m -> m.toUpperCase(Locale.ROOT)).toList();
    }

    /** This node's {@code host:port} on {@code listener}: advertised first, as the broker's own peers would use it. */
    private static String ownAddress(Map<String, ?> broker, String listener) {
        Optional<String> address = listenerAddress(broker.get(BrokerKeys.ADVERTISED_LISTENERS), listener)
                .or(() -> listenerAddress(broker.get(BrokerKeys.LISTENERS), listener));
        return address.orElseThrow(() -> new ConfigException(SecureTransportConfig.AUDIT_BOOTSTRAP_SERVERS_CONFIG, "",
                "this node has no " + listener + " listener in advertised.listeners or listeners (a controller-only node?);"
                        + " set it to a broker's TLS listener address, or set " + SecureTransportConfig.AUDIT_PUBLISH_CONFIG + "=false"));
    }

    private static Optional<String> listenerAddress(Object listeners, String listener) {
        for (String entry : splitList(listeners)) {
            int separator = entry.indexOf("://");
            if (separator <= 0 || !entry.substring(0, separator).trim().equalsIgnoreCase(listener)) {
                continue;
            }
            String hostPort = entry.substring(separator + 3).trim();
            int colon = hostPort.lastIndexOf(':');
            String host = colon >= 0 ? hostPort.substring(0, colon) : hostPort;
            String port = colon >= 0 ? hostPort.substring(colon + 1) : "";
            if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("[::]")) {
                host = canonicalHostName();
            }
            return Optional.of(host + ":" + port);
        }
        return Optional.empty();
    }

    private static String canonicalHostName() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    private static List<String> splitList(Object value) {
        List<String> items = new ArrayList<>();
        if (value == null) {
            return items;
        }
        if (value instanceof List<?> list) {
            list.forEach(item -> items.add(item.toString().trim()));
            return items;
        }
        for (String item : value.toString().split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T value : values) {
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static Set<String> clientSslKeys() {
        ConfigDef def = new ConfigDef();
        SslConfigs.addClientSslSupport(def);
        return new TreeSet<>(def.names());
    }

    /** Broker settings read here, named once. */
    static final class BrokerKeys {
        static final String LISTENERS = "listeners";
        static final String ADVERTISED_LISTENERS = "advertised.listeners";
        static final String LISTENER_SECURITY_PROTOCOL_MAP = "listener.security.protocol.map";
        static final String INTER_BROKER_LISTENER_NAME = "inter.broker.listener.name";
        static final String INTER_BROKER_SECURITY_PROTOCOL = "security.inter.broker.protocol";
        static final String CONTROLLER_LISTENER_NAMES = "controller.listener.names";
        static final String SASL_MECHANISM_INTER_BROKER = "sasl.mechanism.inter.broker.protocol";
        static final String SASL_ENABLED_MECHANISMS = "sasl.enabled.mechanisms";

        private BrokerKeys() {
        }
    }
}
