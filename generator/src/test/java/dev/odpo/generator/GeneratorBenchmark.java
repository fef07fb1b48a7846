package dev.odpo.generator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Prompt;
import dev.odpo.events.Sample;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.model.Decoder;
import dev.odpo.model.Generation;
import dev.odpo.model.LlamaConfig;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.Policy;
import dev.odpo.policy.Snapshot;
import dev.odpo.task.Split;
import dev.odpo.task.TaskPrompt;
import dev.odpo.task.TaskSuite;
import dev.odpo.task.TaskTokenizer;
import dev.odpo.task.WarmStart;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throughput study, not a test: the generator end to end (Kafka, Avro through the schema registry, one
 * transaction per batch) against the model library's raw batched decode of the same batches, measured in
 * the same run; and the adoption latency of new π0 versions. Figures in docs/generator.md.
 *
 * <p>Both sides decode the same rows with the same random streams: the generator seeds each batch from its
 * first prompt's offset, the raw side does the same, so their responses are identical (checked) and the
 * difference in wall time is the service's overhead. Each round's prompts are written in one transaction, so
 * every poll returns a full batch; rounds alternate which side runs first. The generator also times its own
 * decoding and prompt rendering, so wall − decode − rendering is what Kafka, Avro and the transactions cost
 * without the noise of two separate decode runs on a shared machine.
 *
 * <p>Run: {@code ./mvnw -B -o -pl generator test-compile surefire:test@benchmark [-Dbench.data=DIR]
 * [-Dbench.configs=pi0,mid]}. π0 is taken from DIR's model cache (default: the module's target/bench-data),
 * or trained there first (minutes; {@code -Dbench.data=../data} shares the cache of {@code odpo sft}).
 */
@Tag("benchmark")
class GeneratorBenchmark {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    /** N responses per prompt, batchPrompts prompts per batch, batches per measured round, maxNew tokens at most. */
    record Shape(String name, int n, int batchPrompts, int batches, int maxNew) {
    }

    private static final int N = 8;
    private static final int BATCH = 8;

    @TempDir
    Path work;

    @Test
    void benchmark() throws Exception {
        List<String> configs = List.of(System.getProperty("bench.configs", "pi0,mid").split(","));
        System.out.printf("odpo generator benchmark: PyTorch %s, %s thread(s), %d cores, load average %.2f%n",
                Engine.getEngine("PyTorch").getVersion(), System.getProperty("ai.djl.pytorch.num_threads", "?"),
                Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        if (configs.contains("pi0")) {
            Path pi0 = WarmStart.ensure(Path.of(System.getProperty("bench.data", "target/bench-data")), WarmStart.Spec.standard(),
                    (step, total, loss) -> {
                        if (step % 100 == 0) {
                            System.out.printf("  training pi0: step %d/%d, loss %.3f%n", step, total, loss);
                        }
                    });
            run("pi0", pi0, new Shape("pi0", N, BATCH, 12, 64), 4, true);
        }
        if (configs.contains("mid")) {
            Path mid = work.resolve("mid");
            // the model library's mid benchmark shape (d 512, 8 layers, 8 heads, F 1408) on the task's tokenizer
            LlamaConfig config = new LlamaConfig("LlamaForCausalLM", TaskTokenizer.vocabSize(), 512, 1408, 8, 8, 8, 64,
                    1e-6, 10000.0, 1.0, 512, true, false, 0, TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID),
                    TaskTokenizer.PAD_ID);
            try (LlamaModel m = LlamaModel.random(config, Device.cpu(), 5)) {
                m.save(mid);
            }
            TaskTokenizer.write(mid);
            run("mid", mid, new Shape("mid", N, BATCH, 3, 32), 2, false);
        }
    }

    /** One measured round: the generator's wall time and what it spent decoding and rendering; the raw decode. */
    record Round(double wall, double decode, double render, double raw, long tokens, int samples, int identical) {
        double kafka() {
            return wall - decode - render;
        }
    }

    private void run(String name, Path modelDir, Shape shape, int rounds, boolean adoption) throws Exception {
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), KAFKA.registryUrl())
                .withTopicPrefix("bench-" + name + ".").withPartitions(1);
        Topics topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(topics.all());
        }
        LocalCheckpointStore store = new LocalCheckpointStore(work.resolve("checkpoints-" + name));
        List<TaskPrompt> taskPrompts = TaskSuite.standard().prompts(Split.RL, BATCH * shape.batches(), 11);
        Map<String, String> env = new HashMap<>();
        env.put("ODPO_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("ODPO_SCHEMA_REGISTRY_URL", kafka.registryUrl());
        env.put("ODPO_TOPIC_PREFIX", topics.prefix());
        env.put("ODPO_TOPIC_PARTITIONS", "1");
        env.put("ODPO_CHECKPOINT_DIR", store.root().toString());
        env.put("ODPO_GENERATOR_ID", "bench-" + name);
        env.put("ODPO_GENERATOR_GROUP_ID", "bench-" + name);
        env.put("ODPO_GENERATOR_N", Integer.toString(shape.n()));
        env.put("ODPO_GENERATOR_BATCH_SIZE", Integer.toString(shape.batchPrompts()));
        env.put("ODPO_GENERATOR_MAX_NEW_TOKENS", Integer.toString(shape.maxNew()));
        env.put("ODPO_GENERATOR_PROGRESS_INTERVAL", "10s");
        GeneratorConfig config = GeneratorConfigTest.load(env);
        SamplingPlan plan = config.sampling();
        String promptTopic = topics.prompts().name();

        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("bench"));
             KafkaProducer<byte[], byte[]> tx = new KafkaProducer<>(kafka.transactionalProducer("bench-prompts-" + name, "bench-tx"));
             TopicReader<Sample> reader = TopicReader.committed(kafka, topics.samples())) {
            Snapshot v0 = store.publish(new CheckpointStore.Request("policy", 0, null, null, 0, 0, dir -> copy(modelDir, dir)));
            Announcements.announce(producer, topics.checkpoints(), Announcements.of(v0, null, "bench"));
            Generator generator = Generator.create(config);
            Thread thread = new Thread(generator, "generator");
            thread.start();
            List<Round> results = new ArrayList<>();
            try (Policy policy = Policy.load(v0.dir(), "policy", 0, Device.cpu())) {
                List<int[]> encoded = new ArrayList<>();
                taskPrompts.forEach(p -> encoded.add(policy.encoding().prompt(p.text())));
                // warm-up: one batch each way (offsets 0..BATCH-1 on the service side)
                rawDecode(policy, plan, encoded.subList(0, BATCH), promptTopic, 0, shape);
                for (int i = 0; i < BATCH; i++) {
                    producer.send(record(topics, "warm-" + i, taskPrompts.get(i)));
                }
                producer.flush();
                reader.until(s -> s.size() >= BATCH * shape.n(), Duration.ofMinutes(10));
                tx.initTransactions();
                long nextOffset = BATCH;
                for (int r = 0; r < rounds; r++) {
                    // alternate which side runs first, so a drift in the machine's load hits both alike
                    RawRun raw = r % 2 == 0 ? rawDecode(policy, plan, encoded, promptTopic, nextOffset, shape) : null;
                    int seen = reader.poll().size();
                    GeneratorStats.Snapshot before = generator.stats().snapshot();
                    long t0 = System.nanoTime();
                    tx.beginTransaction();
                    List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new ArrayList<>();
                    for (int i = 0; i < taskPrompts.size(); i++) {
                        sent.add(tx.send(record(topics, "r" + r + "-" + i, taskPrompts.get(i))));
                    }
                    tx.commitTransaction();
                    long first = sent.get(0).get().offset();
                    assertThat(first).as("the raw side decoded the offsets the service sees").isEqualTo(nextOffset);
                    int expected = seen + taskPrompts.size() * shape.n();
                    List<Sample> samples = reader.until(s -> s.size() >= expected, Duration.ofMinutes(30));
                    long wallNanos = System.nanoTime() - t0;
                    GeneratorStats.Snapshot after = generator.stats().snapshot();
                    if (raw == null) {
                        raw = rawDecode(policy, plan, encoded, promptTopic, nextOffset, shape);
                    }
                    nextOffset = sent.get(sent.size() - 1).get().offset() + 2;   // + the transaction's commit marker
                    List<Sample> measured = samples.subList(seen, expected);
                    int identical = 0;
                    for (int i = 0; i < measured.size(); i++) {
                        int[] ids = measured.get(i).getResponseTokenIds().stream().mapToInt(Integer::intValue).toArray();
                        if (java.util.Arrays.equals(ids, raw.responses().get(i))) {
                            identical++;
                        }
                    }
                    Round round = new Round(wallNanos / 1e9, (after.decodeNanos() - before.decodeNanos()) / 1e9,
                            (after.renderNanos() - before.renderNanos()) / 1e9, raw.nanos() / 1e9,
                            after.tokens() - before.tokens(), measured.size(), identical);
                    results.add(round);
                    System.out.printf("[%s] round %d (%s first): generator %.2f s wall = decoding %.2f + rendering %.2f + "
                                    + "Kafka/Avro/transactions %.2f (%.1f %%); raw decode %.2f s (generator - raw - rendering "
                                    + "= %.1f %% of wall); identical responses %d/%d%n", name, r + 1, r % 2 == 0 ? "raw" : "generator",
                            round.wall(), round.decode(), round.render(), round.kafka(), 100 * round.kafka() / round.wall(),
                            round.raw(), 100 * (round.wall() - round.raw() - round.render()) / round.wall(), identical,
                            measured.size());
                    assertThat(identical).as("the two sides decode the same rows").isEqualTo(measured.size());
                }
            }
            double wall = results.stream().mapToDouble(Round::wall).sum();
            double decode = results.stream().mapToDouble(Round::decode).sum();
            double render = results.stream().mapToDouble(Round::render).sum();
            double raw = results.stream().mapToDouble(Round::raw).sum();
            long tokens = results.stream().mapToLong(Round::tokens).sum();
            int samples = results.stream().mapToInt(Round::samples).sum();
            System.out.printf("%n[%s] %d rounds of %d prompts x N=%d in batches of %d prompts (%d rows), at most %d new tokens: "
                            + "%d samples, %d tokens%n", name, rounds, taskPrompts.size(), shape.n(), shape.batchPrompts(),
                    shape.batchPrompts() * shape.n(), shape.maxNew(), samples, tokens);
            System.out.printf("[%s] raw Decoder.generate: %.1f s: %.1f samples/s, %.0f tokens/s%n", name, raw, samples / raw, tokens / raw);
            System.out.printf("[%s] generator:            %.1f s: %.1f samples/s, %.0f tokens/s (decoding %.1f s, rendering %.1f s)%n",
                    name, wall, samples / wall, tokens / wall, decode, render);
            System.out.printf("[%s] Kafka + Avro + transactions: %.1f %% of generator wall time (wall - decode - rendering); "
                            + "%.1f %% measured against the raw decode (wall - raw - rendering); rendering %.1f %%%n",
                    name, 100 * (wall - decode - render) / wall, 100 * (wall - raw - render) / wall, 100 * render / wall);

            if (adoption) {
                adoptionLatency(generator, store, producer, topics, v0, taskPrompts);
            }
            generator.stop();
            generator.awaitStopped(Duration.ofSeconds(60));
            thread.join(10_000);
        }
    }

    /** Announces copies of v0 as v1..v3 while prompts flow; prints announcement → ready → first sample. */
    private void adoptionLatency(Generator generator, LocalCheckpointStore store, KafkaProducer<byte[], byte[]> producer,
                                 Topics topics, Snapshot v0, List<TaskPrompt> prompts) throws Exception {
        AtomicBoolean feeding = new AtomicBoolean(true);
        Thread feeder = new Thread(() -> {
            int i = 0;
            while (feeding.get()) {
                producer.send(record(topics, "adopt-" + i, prompts.get(i++ % prompts.size())));
                producer.flush();
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "feeder");
        feeder.start();
        try {
            for (long v = 1; v <= 3; v++) {
                Snapshot s = store.publish(new CheckpointStore.Request("policy", v, v - 1, null, v, v, dir -> copy(v0.dir(), dir)));
                Announcements.announce(producer, topics.checkpoints(), Announcements.of(s, null, "bench"));
                long version = v;
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (generator.stats().adoptions().stream().noneMatch(a -> a.version() == version) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                GeneratorStats.Adoption a = generator.stats().adoptions().stream().filter(x -> x.version() == version)
                        .findFirst().orElseThrow();
                System.out.printf("[pi0] adoption of v%d: verified and loaded %d ms after it was written, first samples after %d ms%n",
                        v, a.ready().toMillis(), a.firstSample().toMillis());
            }
        } finally {
            feeding.set(false);
            feeder.join(5_000);
        }
    }

    /** Time spent in Decoder.generate, tokens generated, and each row's response ids in order. */
    record RawRun(long nanos, long tokenCount, List<int[]> responses) {
    }

    /** Decodes the prompts in batches as the generator does: each prompt N times, the batch's random stream. */
    private static RawRun rawDecode(Policy policy, SamplingPlan plan, List<int[]> prompts, String topic, long firstOffset,
                                    Shape shape) {
        Decoder decoder = policy.decoder();
        long nanos = 0;
        long tokens = 0;
        List<int[]> out = new ArrayList<>();
        for (int b = 0; b < prompts.size(); b += shape.batchPrompts()) {
            List<int[]> rows = new ArrayList<>();
            for (int[] p : prompts.subList(b, Math.min(prompts.size(), b + shape.batchPrompts()))) {
                for (int i = 0; i < shape.n(); i++) {
                    rows.add(p);
                }
            }
            long t0 = System.nanoTime();
            List<Generation> g = decoder.generate(rows, plan.options(), plan.randomFor(topic, 0, firstOffset + b));
            nanos += System.nanoTime() - t0;
            for (Generation x : g) {
                tokens += x.tokens().length;
                out.add(x.tokens());
            }
        }
        return new RawRun(nanos, tokens, out);
    }

    static ProducerRecord<byte[], byte[]> record(Topics topics, String id, TaskPrompt p) {
        return record(topics, null, id, p);
    }

    /** A prompt record for {@code partition} (null: by key). */
    static ProducerRecord<byte[], byte[]> record(Topics topics, Integer partition, String id, TaskPrompt p) {
        Prompt prompt = Prompt.newBuilder().setPromptId(id + "-" + p.id()).setCreatedAt(Instant.now()).setText(p.text())
                .setTask(p.kind().family()).setReferenceAnswer(p.answer()).build();
        return topics.prompts().record(partition, prompt.getPromptId(), prompt);
    }

    static void copy(Path from, Path to) throws java.io.IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String n = f.getFileName().toString();
                if (!n.equals("manifest.json") && !n.equals(WarmStart.MANIFEST)) {
                    Files.copy(f, to.resolve(n));
                }
            }
        }
    }
}
