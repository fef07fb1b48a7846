package dev.odpo.scorer;

import dev.odpo.events.DeadLetter;
import dev.odpo.events.Sample;
import dev.odpo.events.Score;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** One test's topics on an embedded broker (a fresh prefix each), with helpers to write samples and read scores. */
final class ScorerKafka {

    final KafkaSettings kafka;
    final Topics topics;
    private final Map<String, String> env = new HashMap<>();

    /** @param registryUrl a real registry, or mock://scope for an in-process one */
    ScorerKafka(String bootstrapServers, String registryUrl, int partitions) {
        String run = UUID.randomUUID().toString().substring(0, 8);
        kafka = KafkaSettings.local(bootstrapServers, registryUrl).withTopicPrefix("t" + run + ".").withPartitions(partitions);
        topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(topics.all());
        }
        env.put("ODPO_BOOTSTRAP_SERVERS", bootstrapServers);
        env.put("ODPO_SCHEMA_REGISTRY_URL", registryUrl);
        env.put("ODPO_TOPIC_PREFIX", topics.prefix());
        env.put("ODPO_TOPIC_PARTITIONS", Integer.toString(partitions));
    }

    /** Settings of a scorer on these topics: the shared ones plus {@code scorerEnv} (ODPO_SCORER_... variables). */
    ScorerConfig config(Map<String, String> scorerEnv) {
        Map<String, String> all = new HashMap<>(env);
        all.putAll(scorerEnv);
        return ScorerConfig.from(ConfigValues.load(ScorerConfig.SETTINGS, all, null));
    }

    /** The same settings as a properties file's lines, for a scorer in its own process. */
    Properties properties(Map<String, String> scorerSettings) {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", kafka.bootstrapServers());
        p.setProperty("schema.registry.url", kafka.registryUrl());
        p.setProperty("topic.prefix", topics.prefix());
        p.setProperty("topic.partitions", Integer.toString(kafka.partitions()));
        scorerSettings.forEach(p::setProperty);
        return p;
    }

    void produce(List<Sample> samples) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("test-samples"))) {
            for (Sample s : samples) {
                producer.send(record(s.getPromptId(), s));
            }
            producer.flush();
        }
    }

    ProducerRecord<byte[], byte[]> record(String key, Sample s) {
        Topic<String, Sample> t = topics.samples();
        return new ProducerRecord<>(t.name(), t.keySerde().serializer().serialize(t.name(), key),
                t.valueSerde().serializer().serialize(t.name(), s));
    }

    List<ConsumerRecord<String, Score>> scores(String isolation, Predicate<List<ConsumerRecord<String, Score>>> done,
                                               Duration timeout) {
        return read(topics.scores(), isolation, done, timeout);
    }

    List<DeadLetter> deadLetters(Predicate<List<ConsumerRecord<String, DeadLetter>>> done, Duration timeout) {
        return read(topics.deadLetters(), "read_committed", done, timeout).stream().map(ConsumerRecord::value).toList();
    }

    /** Reads the topic from the start until {@code done} holds or {@code timeout} passes (then returns what it has). */
    <V> List<ConsumerRecord<String, V>> read(Topic<String, V> topic, String isolation,
                                             Predicate<List<ConsumerRecord<String, V>>> done, Duration timeout) {
        Properties p = kafka.common("test-reader");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                topic.valueSerde().deserializer())) {
            // No consumer group: assigned every partition from its start, so reading needs no rebalance.
            List<TopicPartition> partitions = new ArrayList<>();
            for (int i = 0; i < topic.partitions(); i++) {
                partitions.add(new TopicPartition(topic.name(), i));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!done.test(out) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /** Runs a scorer in a thread of this JVM until {@link #close()}. */
    static final class Running implements AutoCloseable {
        final Scorer scorer;
        private final Thread thread;

        Running(Scorer scorer) {
            this.scorer = scorer;
            this.thread = new Thread(scorer, "scorer-" + scorer.config().name());
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            scorer.stop();
            if (!scorer.awaitStopped(Duration.ofSeconds(30))) {
                throw new AssertionError("scorer " + scorer.config().name() + " did not stop");
            }
            thread.join(TimeUnit.SECONDS.toMillis(5));
        }
    }
}
