package dev.odpo.kafka.config;

import dev.odpo.kafka.Topics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Where Kafka and the schema registry are, and how topics are named and sized: the settings every service
 * shares. Builds the client properties (with the pass-through settings applied) and the {@link Topics}.
 *
 * @param bootstrapServers  Kafka bootstrap servers, host:port list
 * @param registryUrl       schema registry URL(s), comma-separated; mock://scope for an in-process registry
 * @param topicPrefix       prefix of every topic name, e.g. "odpo."
 * @param partitions        partitions of every per-prompt topic (all co-partitioned)
 * @param replicationFactor replication factor for topics odpo creates
 * @param createTopics      whether a service creates missing topics at start
 * @param kafka             Kafka client settings passed through to every client (SASL, SSL, ...)
 * @param registry          schema-registry client settings passed through to every serde (basic auth, ...)
 */
public record KafkaSettings(String bootstrapServers, String registryUrl, String topicPrefix, int partitions,
                            short replicationFactor, boolean createTopics,
                            Map<String, String> kafka, Map<String, String> registry) {

    private static final Pattern HOST_PORT = Pattern.compile("[^\\s:,]+:\\d{1,5}");
    private static final Pattern TOPIC_CHARS = Pattern.compile("[a-zA-Z0-9._-]*");

    public static final Setting<List<String>> BOOTSTRAP_SERVERS = Setting.list("bootstrap.servers", "127.0.0.1:9092",
                    "Kafka bootstrap servers, a comma-separated host:port list.")
            .withValidator(v -> v.stream().allMatch(s -> HOST_PORT.matcher(s).matches())
                    ? null : "each entry must be host:port");
    public static final Setting<List<String>> REGISTRY_URL = Setting.list("schema.registry.url", "http://127.0.0.1:8081",
                    "Schema registry URL(s) speaking the Confluent REST API, comma-separated; mock://<scope> for an in-process one (tests).")
            .withValidator(v -> v.stream().allMatch(s -> s.startsWith("http://") || s.startsWith("https://") || s.startsWith("mock://"))
                    ? null : "each URL must start with http://, https:// or mock://");
    public static final Setting<String> TOPIC_PREFIX = Setting.string("topic.prefix", "odpo.",
                    "Prefix of every topic name (odpo.prompts, odpo.samples, ...).")
            .withValidator(v -> TOPIC_CHARS.matcher(v).matches() ? null : "may hold only letters, digits, '.', '_' and '-'");
    public static final Setting<Integer> TOPIC_PARTITIONS = Setting.integer("topic.partitions", 3, 1, 10_000,
            "Partitions of every per-prompt topic (prompts, samples, scores, feedback, pairs); they are co-partitioned.");
    public static final Setting<Integer> TOPIC_REPLICATION_FACTOR = Setting.integer("topic.replication.factor", 1, 1, 32,
            "Replication factor of the topics odpo creates.");
    public static final Setting<Boolean> TOPIC_CREATE = Setting.bool("topic.create", true,
            "Create missing topics at start (idempotent). Turn off where an operator manages topics.");

    /** The shared settings, in the order --help lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(
            BOOTSTRAP_SERVERS, REGISTRY_URL, TOPIC_PREFIX, TOPIC_PARTITIONS, TOPIC_REPLICATION_FACTOR, TOPIC_CREATE);

    public KafkaSettings {
        kafka = Map.copyOf(kafka);
        registry = Map.copyOf(registry);
    }

    public static KafkaSettings from(ConfigValues values) {
        return new KafkaSettings(
                String.join(",", values.get(BOOTSTRAP_SERVERS)),
                String.join(",", values.get(REGISTRY_URL)),
                values.get(TOPIC_PREFIX),
                values.get(TOPIC_PARTITIONS),
                values.get(TOPIC_REPLICATION_FACTOR).shortValue(),
                values.get(TOPIC_CREATE),
                values.kafkaPassThrough(),
                values.registryPassThrough());
    }

    /** Defaults for everything, pointing at the given broker and registry (tests, the embedded setup). */
    public static KafkaSettings local(String bootstrapServers, String registryUrl) {
        return new KafkaSettings(bootstrapServers, registryUrl, "odpo.", 3, (short) 1, true, Map.of(), Map.of());
    }

    public KafkaSettings withTopicPrefix(String prefix) {
        return new KafkaSettings(bootstrapServers, registryUrl, prefix, partitions, replicationFactor, createTopics, kafka, registry);
    }

    public KafkaSettings withPartitions(int n) {
        return new KafkaSettings(bootstrapServers, registryUrl, topicPrefix, n, replicationFactor, createTopics, kafka, registry);
    }

    /** Configuration for every Avro serde: the registry URL plus the registry pass-through settings. */
    public Map<String, Object> serdeConfig() {
        Map<String, Object> config = new HashMap<>(registry);
        config.put("schema.registry.url", registryUrl);
        return config;
    }

    /** The topics, named with this prefix and sized with these partitions, their serdes configured. */
    public Topics topics() {
        return Topics.create(topicPrefix, partitions, serdeConfig());
    }

    /** Properties shared by every client: pass-through first, then bootstrap servers. */
    public Properties common(String clientId) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        if (clientId != null) {
            p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        }
        return p;
    }

    /** A raw-bytes consumer: decoding happens in the service so that bad bytes can be dead-lettered. */
    public Properties rawConsumer(String groupId, String clientId) {
        Properties p = common(clientId);
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "200");
        // Topics are created by odpo with the right partitions, never implicitly by subscribing.
        p.putIfAbsent(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        // Services write some topics in transactions: never read what an aborted transaction left behind.
        p.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    /** A raw-bytes producer, idempotent, acks=all: callers serialize with the topic's serdes. */
    public Properties rawProducer(String clientId) {
        Properties p = common(clientId);
        p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /**
     * A raw-bytes consumer for an exactly-once loop: {@code read_committed} and at most {@code maxPollRecords}
     * records a poll, whatever the pass-through settings say.
     */
    public Properties readCommittedConsumer(String groupId, String clientId, int maxPollRecords) {
        Properties p = rawConsumer(groupId, clientId);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(maxPollRecords));
        return p;
    }

    /**
     * A raw-bytes transactional producer: {@code transactional.id}, idempotence and {@code acks=all}, which
     * transactions require, whatever the pass-through settings say.
     *
     * @param transactionalId stable per service instance, so that a restarted instance fences its predecessor
     */
    public Properties transactionalProducer(String transactionalId, String clientId) {
        Properties p = rawProducer(clientId);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return p;
    }

    /** Properties for an Admin client. */
    public Properties admin(String clientId) {
        return common(clientId);
    }

    /**
     * Properties for a Kafka Streams application: application id, bootstrap servers and the pass-through
     * settings (which may override Streams settings as well, e.g. kafka.processing.guarantee).
     */
    public Properties streams(String applicationId) {
        Properties p = new Properties();
        p.put("application.id", applicationId);
        p.putAll(common(null));
        return p;
    }
}
