package dev.odpo.learner;

import ai.djl.Device;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.PreferencePair;
import dev.odpo.kafka.Topic;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.ConfigValues;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.Snapshot;
import dev.odpo.task.TaskTokenizer;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A learner's surroundings on a real broker: topics under their own prefix, a checkpoint store, a tiny random
 * π0 with the task's tokenizer published as version 0, pairs to train on, and readers of what the learner
 * committed.
 */
final class LearnerFixture implements AutoCloseable {

    static final String POLICY = "pi";
    static final String GROUP = "learner-test";

    final KafkaSettings kafka;
    final Topics topics;
    final LocalCheckpointStore store;
    final Path dir;
    private final KafkaProducer<byte[], byte[]> producer;

    LearnerFixture(String bootstrap, String registryUrl, String prefix, Path dir) throws IOException {
        this.kafka = KafkaSettings.local(bootstrap, registryUrl).withTopicPrefix(prefix);
        this.topics = kafka.topics();
        this.dir = dir;
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(topics.all());
        }
        this.store = new LocalCheckpointStore(dir.resolve("checkpoints"));
        this.producer = new KafkaProducer<>(kafka.rawProducer("test-producer"));
    }

    /** A tiny Llama over the task's character vocabulary: one layer, width 32. */
    static LlamaConfig tinyConfig() {
        return LlamaConfig.tiny(TaskTokenizer.vocabSize(), 32, 1, 2, 1)
                .withSpecialTokens(TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID), TaskTokenizer.PAD_ID);
    }

    /** Publishes a random tiny π0 as version 0 of {@code policy} and announces it; {@code poison} puts a NaN in it. */
    Snapshot publishPi0(String policy, long seed, boolean poison) throws IOException {
        return publishPi0(policy, tinyConfig(), seed, poison);
    }

    /** Publishes a random model of {@code config} as version 0 of {@code policy} and announces it. */
    Snapshot publishPi0(String policy, LlamaConfig config, long seed, boolean poison) throws IOException {
        Snapshot s = store.publish(new CheckpointStore.Request(policy, 0, null, null, 0, 0, d -> {
            try (LlamaModel m = LlamaModel.random(config, Device.cpu(), seed)) {
                if (poison) {
                    var w = m.parameters().get("model.norm.weight");
                    float[] v = w.toFloatArray();
                    v[0] = Float.NaN;
                    w.set(v);
                }
                m.save(d);
            }
            TaskTokenizer.write(d);
        }));
        Announcements.announce(producer, topics.checkpoints(), Announcements.of(s, null, "operator"));
        return s;
    }

    /** Pair {@code i}: the chosen answer says yes, the rejected one no, sampled from {@code version}. */
    static PreferencePair pair(int i, long version) {
        String prompt = "p" + (i % 5);
        return PreferencePair.newBuilder().setPairId("pair-" + i).setPromptId(prompt).setCreatedAt(Instant.now())
                .setPromptText("Question " + (i % 5) + ": is it so?").setChosenText("yes " + (i % 3))
                .setRejectedText("no " + (i % 4)).setChosenSampleId("s" + i + "a").setRejectedSampleId("s" + i + "b")
                .setChosenReward(1).setRejectedReward(0).setMargin(1).setChosenPolicyVersion(version)
                .setRejectedPolicyVersion(version).setSelection("max-min").setJudge("test").build();
    }

    void send(List<PreferencePair> pairs) {
        Topic<String, PreferencePair> t = topics.pairs();
        for (PreferencePair p : pairs) {
            producer.send(new ProducerRecord<>(t.name(), t.keySerde().serializer().serialize(t.name(), p.getPromptId()),
                    t.valueSerde().serializer().serialize(t.name(), p)));
        }
        producer.flush();
    }

    /** Raw bytes on the pairs topic, e.g. a record that does not decode. */
    void sendRaw(String key, byte[] value) {
        producer.send(new ProducerRecord<>(topics.pairs().name(), key.getBytes(), value));
        producer.flush();
    }

    static List<PreferencePair> pairs(int from, int to, long version) {
        List<PreferencePair> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(pair(i, version));
        }
        return out;
    }

    /** The learner's settings for this fixture, with {@code overrides} (setting name → value). */
    Properties properties(Map<String, String> overrides) {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", kafka.bootstrapServers());
        p.setProperty("schema.registry.url", kafka.registryUrl());
        p.setProperty("topic.prefix", topics.prefix());
        p.setProperty("checkpoint.dir", store.root().toString());
        p.setProperty("learner.policy.name", POLICY);
        p.setProperty("learner.group.id", GROUP);
        p.setProperty("learner.batch.size", "8");
        p.setProperty("learner.learning.rate", "3e-3");
        p.setProperty("learner.warmup.steps", "0");
        p.setProperty("learner.snapshot.steps", "2");
        p.setProperty("learner.snapshot.interval", "30s");
        p.setProperty("learner.batch.linger", "1s");
        p.setProperty("learner.metrics.steps", "1");
        p.setProperty("learner.keep.snapshots", "1000");
        overrides.forEach(p::setProperty);
        return p;
    }

    LearnerConfig config(Map<String, String> overrides) throws IOException {
        Path file = writeProperties(overrides);
        return LearnerConfig.from(ConfigValues.load(LearnerConfig.SETTINGS, Map.of(), file));
    }

    Path writeProperties(Map<String, String> overrides) throws IOException {
        Path file = dir.resolve("learner-" + System.nanoTime() + ".properties");
        try (Writer w = Files.newBufferedWriter(file)) {
            properties(overrides).store(w, "learner under test");
        }
        return file;
    }

    /** The announcements of {@code policy} committed now, by version (the last one of each version). */
    Map<Long, CheckpointAnnouncement> announcements(String policy) {
        Map<Long, CheckpointAnnouncement> out = new java.util.TreeMap<>();
        Announcements.versions(Announcements.readAll(kafka, Duration.ofSeconds(30)), policy)
                .forEach(a -> out.put(a.getVersion(), a));
        return out;
    }

    /** Every committed record of {@code topic} now, in partition order. */
    <V extends SpecificRecord> List<V> readAll(Topic<String, V> topic) {
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.rawConsumer("reader-" + System.nanoTime(), "reader"))) {
            List<TopicPartition> parts = c.partitionsFor(topic.name()).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(topic.valueSerde().deserializer().deserialize(r.topic(), r.value()));
                }
            }
        }
        return out;
    }

    /** The group's committed offsets and the pairs topic's end offsets, for "everything consumed" checks. */
    Map<String, Map<TopicPartition, Long>> committedAndEnd() throws Exception {
        Map<TopicPartition, Long> committed = new HashMap<>();
        Map<TopicPartition, Long> end;
        // what a consumer of the learner's group would resume from
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.rawConsumer(GROUP, "offsets-check"))) {
            List<TopicPartition> parts = c.partitionsFor(topics.pairs().name()).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            c.committed(new java.util.HashSet<>(parts)).forEach((tp, o) -> {
                if (o != null) {
                    committed.put(tp, o.offset());
                }
            });
            end = new HashMap<>(c.endOffsets(parts));
        }
        Map<String, Map<TopicPartition, Long>> out = new LinkedHashMap<>();
        out.put("committed", committed);
        out.put("end", end);
        return out;
    }

    /** Whether the group has committed every record of the pairs topic. */
    boolean allConsumed() throws Exception {
        Map<String, Map<TopicPartition, Long>> o = committedAndEnd();
        for (Map.Entry<TopicPartition, Long> e : o.get("end").entrySet()) {
            if (e.getValue() > 0 && !e.getValue().equals(o.get("committed").get(e.getKey()))) {
                System.out.println("not all consumed yet: " + o);
                return false;
            }
        }
        return true;
    }

    /** The pair ids the announced snapshots list as trained, version by version, each snapshot verified. */
    List<String> trainedPairIds(Map<Long, CheckpointAnnouncement> announced) throws IOException {
        List<String> ids = new ArrayList<>();
        for (CheckpointAnnouncement a : announced.values()) {
            Snapshot s = store.open(a.getUri(), a.getSha256());
            ids.addAll(LearnerSnapshot.trainedPairIds(s.dir()));
        }
        return ids;
    }

    @Override
    public void close() {
        producer.close();
    }
}
