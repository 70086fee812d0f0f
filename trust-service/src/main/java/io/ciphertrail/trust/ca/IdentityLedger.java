package io.ciphertrail.trust.ca;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.ciphertrail.core.identity.IdentityError;
import io.ciphertrail.core.identity.IdentityException;
import io.ciphertrail.core.kms.remote.KeyServiceApi;
import io.ciphertrail.core.pki.CertificateAuthority;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's shared memory: a compacted, single-partition topic every instance writes and reads from the start.
 * It holds bootstrap tokens (as hashes), their claims and barred identities.
 *
 * <ul>
 *   <li><b>Single use across instances.</b> To use a token, an instance appends a claim and reads the topic up to it:
 *       the first claim of that token in the log wins. The partition's one order is the same for every instance, so
 *       exactly one of any number of concurrent claims wins, whichever instances make them.</li>
 *   <li><b>Only the CA vouches.</b> Token and bar records are signed with the CA key (inside the token when the key
 *       lives in one) and verified against the trust bundle: a writer of the topic cannot mint a token or lift a bar.
 *       A forged claim can only spend a token, as using it would. After a CA rotation the bars are signed again with
 *       the new key, so they outlive the old CA's removal from the bundle.</li>
 *   <li><b>Fail closed.</b> Until an instance has read the whole topic once, and whenever the topic does not answer in
 *       time, it issues nothing ({@link IdentityError#CA_UNAVAILABLE}); key operations are not affected.</li>
 * </ul>
 */
public final class IdentityLedger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IdentityLedger.class);
    private static final String TOKEN = "TOKEN";
    private static final String CLAIM = "CLAIM";
    private static final String BAR = "BAR";

    /** A record as the topic holds it: the payload (JSON) and, for tokens and bars, the CA's signature over it. */
    record LedgerRecord(String kind, String payload, String signer, String signature) {
    }

    record Claim(String hash, String claimId, String instance, long at) {
    }

    private record SignedBar(Bar bar, String signer) {
    }

    private final String topic;
    private final TopicPartition partition;
    private final Map<String, Object> kafka;
    private final CertificateAuthority ca;
    private final String signer;
    private final TrustBundle bundle;
    private final String instance;
    private final Duration timeout;
    private final KafkaProducer<String, String> producer;
    private final Thread reader;
    private final Object progress = new Object();
    private final Map<String, TokenGrant> tokens = new ConcurrentHashMap<>();
    private final Map<String, String> firstClaims = new ConcurrentHashMap<>();
    private final Map<String, SignedBar> bars = new ConcurrentHashMap<>();
    private final List<ConsumerRecord<String, String>> unverified = new ArrayList<>();
    private final AtomicLong rejected = new AtomicLong();
    private volatile long position = -1;
    private volatile boolean ready;
    private volatile boolean closed;
    private volatile KafkaConsumer<String, String> consumer;
    private volatile String problem = "not read yet";
    private List<X509Certificate> bundleSeen;

    IdentityLedger(String topic, Map<String, Object> kafka, CertificateAuthority ca, TrustBundle bundle, String instance, Duration timeout) {
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        this.kafka = kafka;
        this.ca = ca;
        this.signer = TrustBundle.fingerprint(ca.certificate());
        this.bundle = bundle;
        this.instance = instance;
        this.timeout = timeout;
        Map<String, Object> producerSettings = new HashMap<>(kafka);
        producerSettings.put(ProducerConfig.CLIENT_ID_CONFIG, "ciphertrail-identity-ledger-writer");
        producerSettings.put(ProducerConfig.ACKS_CONFIG, "all");
        producerSettings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
        producerSettings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(timeout.toMillis(), 1_000) + 1_000);
        producerSettings.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(timeout.toMillis(), 1_000));
        producerSettings.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(producerSettings, new StringSerializer(), new StringSerializer());
        this.reader = new Thread(this::read, "ciphertrail-identity-ledger");
        reader.setDaemon(true);
        reader.start();
    }

    /** Whether the ledger has been read to its end once, so decisions see every token and bar. */
    public boolean ready() {
        return ready;
    }

    /** Why the ledger is not ready, for the message of a refusal. */
    public String problem() {
        return problem;
    }

    Optional<TokenGrant> token(String hash) {
        return Optional.ofNullable(tokens.get(hash));
    }

    boolean claimed(String hash) {
        return firstClaims.containsKey(hash);
    }

    /** The bar on {@code identity}, if it is barred. */
    Optional<Bar> bar(String identity) {
        return Optional.ofNullable(bars.get(identity)).map(SignedBar::bar).filter(Bar::barred);
    }

    List<Bar> barred() {
        return bars.values().stream().map(SignedBar::bar).filter(Bar::barred).sorted(java.util.Comparator.comparing(Bar::identity)).toList();
    }

    /** Records of the topic refused as not signed by a CA of the bundle. */
    public long rejected() {
        return rejected.get();
    }

    /** Records a new token; returns once this instance has read it back. */
    void recordToken(TokenGrant grant) {
        write("token/" + grant.hash(), signed(TOKEN, grant));
    }

    /** Records a bar or its lifting; returns once this instance has read it back (others follow within moments). */
    void recordBar(Bar bar) {
        write("bar/" + bar.identity(), signed(BAR, bar));
    }

    /**
     * Claims a token for this request: true if this claim is the first the log holds for it, so the token is used
     * here; false if another claim came first (at this instance or any other).
     */
    boolean claim(String hash) {
        String claimId = UUID.randomUUID().toString();
        write("claim/" + hash, new LedgerRecord(CLAIM, json(new Claim(hash, claimId, instance, System.currentTimeMillis())), null, null));
        return claimId.equals(firstClaims.get(hash));
    }

    private LedgerRecord signed(String kind, Object payload) {
        String json = json(payload);
        byte[] signature = ca.signData(json.getBytes(StandardCharsets.UTF_8));
        return new LedgerRecord(kind, json, signer, Base64.getEncoder().encodeToString(signature));
    }

    private void write(String key, LedgerRecord record) {
        if (!ready) {
            throw unavailable("the CA has not read its ledger (topic '" + topic + "') yet: " + problem);
        }
        RecordMetadata written;
        try {
            written = producer.send(new ProducerRecord<>(topic, 0, key, json(record))).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unavailable("the ledger topic '" + topic + "' refused a write: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw unavailable("the ledger topic '" + topic + "' did not acknowledge a write within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted while writing the ledger");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            while (position <= written.offset()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw unavailable("the ledger topic '" + topic + "' was not read back within " + timeout.toMillis() + " ms");
                }
                try {
                    progress.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw unavailable("interrupted while reading the ledger");
                }
            }
        }
    }

    private static IdentityException unavailable(String message) {
        return new IdentityException(IdentityError.CA_UNAVAILABLE, message);
    }

    /** The reader thread: creates the topic if need be, then reads it from the start for as long as the service runs. */
    private void read() {
        while (!closed) {
            try (KafkaConsumer<String, String> consumer = consumer()) {
                this.consumer = consumer;
                if (closed) {
                    return;
                }
                ensureTopic();
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
                while (!closed) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                        apply(record);
                    }
                    recheckUnverified();
                    long now = consumer.position(partition, timeout);
                    synchronized (progress) {
                        position = now;
                        progress.notifyAll();
                    }
                    if (!ready && now >= end) {
                        ready = true;
                        problem = "";
                        LOG.info("Identity ledger '{}' read: {} tokens, {} barred identities", topic, tokens.size(), barred().size());
                        signBarsAgain();
                    }
                }
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                problem = e.getClass().getSimpleName() + ": " + e.getMessage();
                LOG.warn("Cannot read the identity ledger '{}' ({}); the CA issues nothing until it can; trying again", topic, problem);
                sleep();
            }
        }
    }

    private void apply(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return;
        }
        try {
            LedgerRecord entry = KeyServiceApi.JSON.readValue(record.value(), LedgerRecord.class);
            switch (entry.kind()) {
                case CLAIM -> {
                    Claim claim = KeyServiceApi.JSON.readValue(entry.payload(), Claim.class);
                    firstClaims.putIfAbsent(claim.hash(), claim.claimId());
                }
                case TOKEN, BAR -> {
                    if (!verified(entry)) {
                        unverified.add(record);
                        if (rejected.incrementAndGet() == 1) {
                            LOG.warn("Identity ledger '{}' holds a {} record at offset {} not signed by a CA of the trust bundle;"
                                    + " it is ignored (check who may write the topic: only the trust service should)", topic, entry.kind(), record.offset());
                        }
                        return;
                    }
                    if (entry.kind().equals(TOKEN)) {
                        TokenGrant grant = KeyServiceApi.JSON.readValue(entry.payload(), TokenGrant.class);
                        tokens.put(grant.hash(), grant);
                    } else {
                        Bar bar = KeyServiceApi.JSON.readValue(entry.payload(), Bar.class);
                        bars.put(bar.identity(), new SignedBar(bar, entry.signer()));
                    }
                }
                default -> LOG.debug("Ignoring a ledger record of kind {}", entry.kind());
            }
        } catch (JsonProcessingException | RuntimeException e) {
            rejected.incrementAndGet();
            LOG.warn("Identity ledger '{}' holds an unreadable record at offset {}; it is ignored", topic, record.offset());
        }
    }

    private boolean verified(LedgerRecord entry) {
        if (entry.signer() == null || entry.signature() == null) {
            return false;
        }
        return bundle.byFingerprint(entry.signer()).map(certificate -> CertificateAuthority.verifyData(certificate,
                entry.payload().getBytes(StandardCharsets.UTF_8), Base64.getDecoder().decode(entry.signature()))).orElse(false);
    }

    /** Records refused before may verify once the bundle holds their CA (a new CA announced before its records arrive). */
    private void recheckUnverified() {
        List<X509Certificate> current = bundle.current();
        if (current.equals(bundleSeen) || unverified.isEmpty()) {
            bundleSeen = current;
            return;
        }
        bundleSeen = current;
        List<ConsumerRecord<String, String>> again = new ArrayList<>(unverified);
        unverified.clear();
        again.forEach(this::apply);
    }

    /** Bars signed by a CA other than the signing one are signed again, so a rotation that retires that CA keeps them. */
    private void signBarsAgain() {
        for (SignedBar bar : List.copyOf(bars.values())) {
            if (!bar.signer().equals(signer)) {
                try {
                    producer.send(new ProducerRecord<>(topic, 0, "bar/" + bar.bar().identity(), json(signed(BAR, bar.bar()))));
                } catch (RuntimeException e) {
                    LOG.warn("Could not sign the bar on '{}' again with the current CA: {}", bar.bar().identity(), e.getMessage());
                }
            }
        }
    }

    private KafkaConsumer<String, String> consumer() {
        Map<String, Object> settings = new HashMap<>(kafka);
        settings.put(ConsumerConfig.CLIENT_ID_CONFIG, "ciphertrail-identity-ledger-reader");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        settings.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return new KafkaConsumer<>(settings, new StringDeserializer(), new StringDeserializer());
    }

    private void ensureTopic() {
        try (Admin admin = Admin.create(kafka)) {
            Set<String> names = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (names.contains(topic)) {
                return;
            }
            int brokers = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            NewTopic ledger = new NewTopic(topic, 1, (short) Math.min(3, brokers))
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            admin.createTopics(List.of(ledger)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Created the identity ledger topic '{}' (compacted, one partition)", topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create the ledger topic '" + topic + "': " + e.getCause().getMessage(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("the cluster did not answer within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String json(Object value) {
        try {
            return KeyServiceApi.JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot encode a ledger record", e);
        }
    }

    private void sleep() {
        try {
            Thread.sleep(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    @Override
    public void close() {
        closed = true;
        KafkaConsumer<String, String> reading = consumer;
        if (reading != null) {
            reading.wakeup();
        }
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }
}
