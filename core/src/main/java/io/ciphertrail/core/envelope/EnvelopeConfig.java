package io.ciphertrail.core.envelope;

import io.ciphertrail.core.config.PatternList;
import io.ciphertrail.core.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@code ciphertrail.envelope.*} settings: which key encrypts which topic, how long a data key
 * lives, what to do with records that are not encrypted, and which headers are bound or encrypted.
 * Limits and their reasoning: {@code docs/key-management.md}.
 */
public final class EnvelopeConfig extends AbstractConfig {
    public static final String KEK_ALIAS_TEMPLATE_CONFIG = "ciphertrail.envelope.kek.alias.template";
    public static final String KEK_ALIAS_MAPPINGS_CONFIG = "ciphertrail.envelope.kek.alias.mappings";
    public static final String RECORD_KEY_ENCRYPTION_CONFIG = "ciphertrail.envelope.record.key.encryption";
    public static final String RECORD_KEY_KEK_ALIAS_TEMPLATE_CONFIG = "ciphertrail.envelope.record.key.kek.alias.template";
    public static final String DEK_MAX_ENCRYPTIONS_CONFIG = "ciphertrail.envelope.dek.max.encryptions";
    public static final String DEK_MAX_AGE_MS_CONFIG = "ciphertrail.envelope.dek.max.age.ms";
    public static final String KEK_REFRESH_MS_CONFIG = "ciphertrail.envelope.kek.refresh.ms";
    public static final String KMS_TIMEOUT_MS_CONFIG = "ciphertrail.envelope.kms.timeout.ms";
    public static final String DEK_CACHE_MAX_ENTRIES_CONFIG = "ciphertrail.envelope.dek.cache.max.entries";
    public static final String DEK_CACHE_MAX_AGE_MS_CONFIG = "ciphertrail.envelope.dek.cache.max.age.ms";
    public static final String UNENCRYPTED_RECORDS_CONFIG = "ciphertrail.envelope.unencrypted.records";
    public static final String PROTECTED_HEADERS_CONFIG = "ciphertrail.envelope.protected.headers";
    public static final String ENCRYPTED_HEADERS_CONFIG = "ciphertrail.envelope.encrypted.headers";
    public static final String PLAIN_DELETES_TOPICS_CONFIG = "ciphertrail.envelope.plain.deletes.topics";
    public static final String FORMAT_VERSION_CONFIG = "ciphertrail.envelope.format.version";
    public static final String RECORD_KEY_FORMAT_VERSION_CONFIG = "ciphertrail.envelope.record.key.format.version";

    /** What a consumer does with a record that carries no envelope. */
    public enum UnencryptedRecords { REJECT, PASSTHROUGH }

    public static final String TOPIC_PLACEHOLDER = "${topic}";

    private static final ConfigDef CONFIG = addTo(new ConfigDef());

    private final KekAliases kekAliases;
    private final List<Pattern> plainDeleteTopics;
    private final Map<String, Boolean> plainDeletes = new ConcurrentHashMap<>();

    public EnvelopeConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
        for (String name : getList(ENCRYPTED_HEADERS_CONFIG)) {
            if (name.equals(TraceContext.HEADER)) {
                throw new ConfigException(ENCRYPTED_HEADERS_CONFIG, name,
                        "the trace context must stay readable so every hop can follow the event; protect it instead (it is bound by default)");
            }
        }
        for (String key : List.of(ENCRYPTED_HEADERS_CONFIG, PROTECTED_HEADERS_CONFIG)) {
            for (String name : getList(key)) {
                int length = name.getBytes(StandardCharsets.UTF_8).length;
                if (length == 0 || length > Envelope.MAX_HEADER_NAME_LENGTH) {
                    throw new ConfigException(key, name, "a header name an envelope binds has 1 to " + Envelope.MAX_HEADER_NAME_LENGTH
                            + " bytes of UTF-8, this one " + length);
                }
            }
        }
        for (String key : List.of(KEK_ALIAS_TEMPLATE_CONFIG, RECORD_KEY_KEK_ALIAS_TEMPLATE_CONFIG)) {
            if (!getString(key).contains(TOPIC_PLACEHOLDER)) {
                throw new ConfigException(key, getString(key), "the template must contain " + TOPIC_PLACEHOLDER
                        + " so each topic gets its own key");
            }
        }
        if (getString(KEK_ALIAS_TEMPLATE_CONFIG).equals(getString(RECORD_KEY_KEK_ALIAS_TEMPLATE_CONFIG))) {
            throw new ConfigException(RECORD_KEY_KEK_ALIAS_TEMPLATE_CONFIG, getString(RECORD_KEY_KEK_ALIAS_TEMPLATE_CONFIG),
                    "record keys need their own KEK, so rotating the value KEK does not move keys to other partitions");
        }
        this.kekAliases = new KekAliases(getString(KEK_ALIAS_TEMPLATE_CONFIG), getList(KEK_ALIAS_MAPPINGS_CONFIG),
                KEK_ALIAS_MAPPINGS_CONFIG);
        this.plainDeleteTopics = getList(PLAIN_DELETES_TOPICS_CONFIG).stream().map(Pattern::compile).toList();
    }

    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    public static ConfigDef addTo(ConfigDef def) {
        return def
                .define(KEK_ALIAS_TEMPLATE_CONFIG, Type.STRING, "ciphertrail/topic/" + TOPIC_PLACEHOLDER, Importance.HIGH,
                        "KEK alias for a topic's record values; " + TOPIC_PLACEHOLDER + " is replaced by the topic"
                                + " the record is encrypted for. A topic without a KEK is refused.")
                .define(KEK_ALIAS_MAPPINGS_CONFIG, Type.LIST, "", Importance.MEDIUM,
                        "Topics that deliberately share one KEK instead of each having the template's: entries"
                                + " 'TOPIC_REGEX=KEK_ALIAS' (the expression may not contain '='), the first match wins, other"
                                + " topics follow the template. Readers accept a topic's records only under the alias this"
                                + " gives (WRONG_KEK otherwise), so every producer, consumer and the policy service of such"
                                + " topics must have the same entries.")
                .define(RECORD_KEY_ENCRYPTION_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM,
                        "Encrypt record keys deterministically (AES-SIV) so equal keys still land on the same"
                                + " partition and compact together. Reveals which records share a key.")
                .define(RECORD_KEY_KEK_ALIAS_TEMPLATE_CONFIG, Type.STRING, "ciphertrail/topic/" + TOPIC_PLACEHOLDER + "/record-key",
                        Importance.MEDIUM, "KEK alias for a topic's record keys, when record key encryption is on.")
                .define(DEK_MAX_ENCRYPTIONS_CONFIG, Type.LONG, 10_000_000L, Range.between(1, 1L << 32), Importance.MEDIUM,
                        "Records one data key encrypts before it is replaced.")
                .define(DEK_MAX_AGE_MS_CONFIG, Type.LONG, Duration.ofHours(1).toMillis(), Range.atLeast(1_000), Importance.MEDIUM,
                        "Longest time one data key encrypts before it is replaced.")
                .define(KEK_REFRESH_MS_CONFIG, Type.LONG, Duration.ofMinutes(5).toMillis(), Range.atLeast(1_000), Importance.MEDIUM,
                        "How often a topic's KEK alias is resolved again. After a KEK rotation, new records are"
                                + " wrapped by the new version within this delay.")
                .define(KMS_TIMEOUT_MS_CONFIG, Type.LONG, 10_000L, Range.atLeast(1), Importance.MEDIUM,
                        "Longest wait for the KMS on the send or poll path: on a topic's first record, when a data"
                                + " key truly expired before its replacement arrived, and when unwrapping a new data key.")
                .define(DEK_CACHE_MAX_ENTRIES_CONFIG, Type.INT, 10_000, Range.atLeast(1), Importance.LOW,
                        "Unwrapped data keys kept per process.")
                .define(DEK_CACHE_MAX_AGE_MS_CONFIG, Type.LONG, Duration.ofHours(2).toMillis(), Range.atLeast(1_000), Importance.LOW,
                        "Longest time an unwrapped data key stays in memory.")
                .define(UNENCRYPTED_RECORDS_CONFIG, Type.STRING, UnencryptedRecords.REJECT.name(),
                        ValidString.in(UnencryptedRecords.REJECT.name(), UnencryptedRecords.PASSTHROUGH.name()), Importance.HIGH,
                        "A record without an envelope: REJECT fails it (reason NOT_ENCRYPTED); PASSTHROUGH hands it"
                                + " over as it is, for migrations only.")
                .define(PROTECTED_HEADERS_CONFIG, Type.LIST, "", Importance.MEDIUM,
                        "Header names whose values are bound into the envelope: editing, adding or removing them"
                                + " makes decryption fail; 1 to " + Envelope.MAX_HEADER_NAME_LENGTH + " bytes of UTF-8 each. The"
                                + " trace context is always bound.")
                .define(ENCRYPTED_HEADERS_CONFIG, Type.LIST, "", Importance.MEDIUM,
                        "Header names whose values are encrypted like the record value (not traceparent); 1 to "
                                + Envelope.MAX_HEADER_NAME_LENGTH + " bytes of UTF-8 each.")
                .define(FORMAT_VERSION_CONFIG, Type.INT, 2, Range.between(1, 2), Importance.MEDIUM,
                        "The envelope version writers write. 2 (compact: the topic and KEK alias bound without travelling,"
                                + " the trace context inside the envelope, data keys derived in the KMS) is read by this release"
                                + " and later; 1 is read by every release. Readers read both. Keep 1 only during a rolling upgrade"
                                + " from a release before envelope version 2, until every consumer, deserializer and policy service"
                                + " of the topic is upgraded; then move writers to 2. With 1, producers also write the traceparent"
                                + " header and data keys wrapped as before.")
                .define(RECORD_KEY_FORMAT_VERSION_CONFIG, Type.INT, 2, Range.between(1, 2), Importance.MEDIUM,
                        "The format of encrypted record keys writers write: 2 (AES-256-SIV) or 1 (AES-256-GCM-SIV, what"
                                + " releases before it wrote). Readers read both. The two give different bytes for the same key,"
                                + " so switching moves keys to other partitions and compaction keeps one record of each format:"
                                + " upgrade every reader first, then switch all producers of a topic together.")
                .define(PLAIN_DELETES_TOPICS_CONFIG, Type.LIST, "", new PatternList(), Importance.MEDIUM,
                        "Regular expressions of topics whose deletes (null values) need no delete proof, for migrations"
                                + " only: a reader accepts a plain delete there, marked with the ciphertrail.passthrough header,"
                                + " and a producer whose key serializer is not Ciphertrail's writes one. Elsewhere every"
                                + " delete carries a proof bound to its topic and key, and one without fails as"
                                + " UNAUTHENTICATED_DELETE.");
    }

    /** The KEK alias of {@code topic}'s record values: from the mappings, or else the template. */
    public String kekAlias(String topic) {
        return kekAliases.valueAlias(topic);
    }

    public KekAliases kekAliases() {
        return kekAliases;
    }

    /** Whether some topic accepts plain deletes. */
    public boolean acceptsSomePlainDeletes() {
        return !plainDeleteTopics.isEmpty();
    }

    /** Whether a delete on {@code topic} may come without a delete proof ({@value #PLAIN_DELETES_TOPICS_CONFIG}). */
    public boolean acceptsPlainDeletes(String topic) {
        return plainDeletes.computeIfAbsent(topic, t -> plainDeleteTopics.stream().anyMatch(p -> p.matcher(t).matches()));
    }

    /** The envelope version writers write ({@value #FORMAT_VERSION_CONFIG}). */
    public int formatVersion() {
        return getInt(FORMAT_VERSION_CONFIG);
    }

    /** The record-key format writers write ({@value #RECORD_KEY_FORMAT_VERSION_CONFIG}). */
    public int recordKeyFormatVersion() {
        return getInt(RECORD_KEY_FORMAT_VERSION_CONFIG);
    }

    public String recordKeyKekAlias(String topic) {
        return getString(RECORD_KEY_KEK_ALIAS_TEMPLATE_CONFIG).replace(TOPIC_PLACEHOLDER, topic);
    }

    public boolean recordKeyEncryption() {
        return getBoolean(RECORD_KEY_ENCRYPTION_CONFIG);
    }

    public long dekMaxEncryptions() {
        return getLong(DEK_MAX_ENCRYPTIONS_CONFIG);
    }

    public Duration dekMaxAge() {
        return Duration.ofMillis(getLong(DEK_MAX_AGE_MS_CONFIG));
    }

    public Duration kekRefresh() {
        return Duration.ofMillis(getLong(KEK_REFRESH_MS_CONFIG));
    }

    public Duration kmsTimeout() {
        return Duration.ofMillis(getLong(KMS_TIMEOUT_MS_CONFIG));
    }

    public int dekCacheMaxEntries() {
        return getInt(DEK_CACHE_MAX_ENTRIES_CONFIG);
    }

    public Duration dekCacheMaxAge() {
        return Duration.ofMillis(getLong(DEK_CACHE_MAX_AGE_MS_CONFIG));
    }

    public UnencryptedRecords unencryptedRecords() {
        return UnencryptedRecords.valueOf(getString(UNENCRYPTED_RECORDS_CONFIG));
    }

    public List<String> protectedHeaders() {
        return getList(PROTECTED_HEADERS_CONFIG);
    }

    public List<String> encryptedHeaders() {
        return getList(ENCRYPTED_HEADERS_CONFIG);
    }
}
