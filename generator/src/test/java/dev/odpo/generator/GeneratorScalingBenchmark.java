package dev.odpo.generator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.Sample;
import dev.odpo.kafka.TopicAdmin;
import dev.odpo.kafka.Topics;
import dev.odpo.kafka.config.KafkaSettings;
import dev.odpo.policy.Announcements;
import dev.odpo.policy.CheckpointStore;
import dev.odpo.policy.LocalCheckpointStore;
import dev.odpo.policy.Snapshot;
import dev.odpo.task.Split;
import dev.odpo.task.TaskPrompt;
import dev.odpo.task.TaskSuite;
import dev.odpo.task.WarmStart;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scaling study, not a test: one generator instance against two in one consumer group, on the same prompts,
 * each instance on its own thread with one PyTorch thread, in one JVM against an embedded broker. Each run
 * gets fresh topics; the instances are started and serving v0 before the prompts are written (in one
 * transaction, spread evenly over the prompts topic's two partitions), and the clock runs from that write
 * until every sample is committed. Runs alternate 1, 2, 1, 2, ... so a drift in the machine's load hits both.
 *
 * <p>Run: {@code ./mvnw -B -o -pl generator test-compile surefire:test@benchmark -Dtest=GeneratorScalingBenchmark
 * [-Dbench.data=DIR] [-Dbench.prompts=192] [-Dbench.repeats=3] [-Dbench.instances=1,2] [-Dbench.batch=8]}:
 * every listed instance count at every listed batch size (prompts per batch), interleaved. π0 comes from DIR's
 * model cache (as for {@link GeneratorBenchmark}). Figures in BENCHMARKS.md.
 */
@Tag("benchmark")
class GeneratorScalingBenchmark {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final int N = 8;
    private static final int PARTITIONS = 2;

    @TempDir
    Path work;

    /** One run: wall seconds from the prompts' commit to the last sample, samples and tokens per instance. */
    record Run(int instances, int batch, double wall, List<Long> samples, List<Long> tokens, List<Double> decodeShare) {
        double samplesPerSecond() {
            return samples.stream().mapToLong(Long::longValue).sum() / wall;
        }
    }

    @Test
    void oneVersusTwoInstances() throws Exception {
        int prompts = Integer.getInteger("bench.prompts", 192);
        int repeats = Integer.getInteger("bench.repeats", 3);
        System.out.printf("odpo generator scaling: PyTorch %s, %s thread(s) each, %d cores, load average %.2f%n",
                Engine.getEngine("PyTorch").getVersion(), System.getProperty("ai.djl.pytorch.num_threads", "?"),
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        Path pi0 = WarmStart.ensure(Path.of(System.getProperty("bench.data", "target/bench-data")),
                WarmStart.Spec.standard(), (step, total, loss) -> { });
        List<TaskPrompt> taskPrompts = TaskSuite.standard().prompts(Split.RL, prompts, 11);
        TreeMap<String, List<Run>> runs = new TreeMap<>();
        List<Integer> counts = ints(System.getProperty("bench.instances", "1,2"));
        List<Integer> batches = ints(System.getProperty("bench.batch", "8"));
        int index = 0;
        for (int r = 0; r < repeats; r++) {
            for (int batch : batches) {
                for (int instances : counts) {
                    Run run = run(index++, instances, batch, pi0, taskPrompts);
                    runs.computeIfAbsent(label(instances, batch), k -> new ArrayList<>()).add(run);
                    System.out.printf(Locale.ROOT, "run %d: %s: %.1f s, %.1f samples/s; samples per instance %s, "
                                    + "decoding %s of each one's time; load average %.2f%n", index, label(instances, batch),
                            run.wall(), run.samplesPerSecond(), run.samples(), run.decodeShare().stream()
                                    .map(d -> String.format(Locale.ROOT, "%.0f %%", 100 * d)).toList(),
                            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                }
            }
        }
        System.out.printf(Locale.ROOT, "%n%d prompts x N=%d, %d partitions, %d repeats, medians (each repeat):%n", prompts,
                N, PARTITIONS, repeats);
        runs.forEach((label, list) -> System.out.printf(Locale.ROOT, "  %s: %.1f samples/s (%s)%n", label,
                median(list.stream().map(Run::samplesPerSecond).toList()),
                String.join(", ", list.stream().map(x -> String.format(Locale.ROOT, "%.1f", x.samplesPerSecond())).toList())));
        for (int batch : batches) {
            List<Run> one = runs.get(label(1, batch));
            List<Run> two = runs.get(label(2, batch));
            if (one != null && two != null) {
                List<Double> ratios = new ArrayList<>();
                for (int r = 0; r < repeats; r++) {
                    ratios.add(two.get(r).samplesPerSecond() / one.get(r).samplesPerSecond());
                }
                System.out.printf(Locale.ROOT, "  batch %d: two / one instance %.2f (median; per repeat %s)%n", batch,
                        median(ratios), ratios.stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList());
            }
        }
    }

    private static String label(int instances, int batch) {
        return String.format(Locale.ROOT, "batch %2d, %d instance(s)", batch, instances);
    }

    private static List<Integer> ints(String list) {
        return java.util.Arrays.stream(list.split(",")).map(String::trim).map(Integer::parseInt).toList();
    }

    private Run run(int index, int instances, int batch, Path pi0, List<TaskPrompt> taskPrompts) throws Exception {
        KafkaSettings kafka = KafkaSettings.local(KAFKA.bootstrapServers(), KAFKA.registryUrl())
                .withTopicPrefix("scale-" + index + ".").withPartitions(PARTITIONS);
        Topics topics = kafka.topics();
        try (TopicAdmin admin = TopicAdmin.create(kafka)) {
            admin.createMissing(topics.all());
        }
        LocalCheckpointStore store = new LocalCheckpointStore(work.resolve("checkpoints-" + index));
        List<Generator> generators = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.rawProducer("scale"));
             KafkaProducer<byte[], byte[]> tx = new KafkaProducer<>(kafka.transactionalProducer("scale-" + index, "scale-tx"));
             TopicReader<Sample> reader = TopicReader.committed(kafka, topics.samples())) {
            Snapshot v0 = store.publish(new CheckpointStore.Request("policy", 0, null, null, 0, 0,
                    dir -> GeneratorBenchmark.copy(pi0, dir)));
            Announcements.announce(producer, topics.checkpoints(), Announcements.of(v0, null, "bench"));
            for (int i = 0; i < instances; i++) {
                Generator g = Generator.create(GeneratorConfigTest.load(settings(kafka, store, index, i, batch)));
                Thread t = new Thread(g, "generator-" + i);
                t.start();
                generators.add(g);
                threads.add(t);
            }
            // every instance serving v0 and subscribed, and the group settled, before the clock starts
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (generators.stream().anyMatch(g -> g.stats().version() < 0 || g.loop().runningNanos() == 0)) {
                assertThat(System.nanoTime()).as("instances serving").isLessThan(deadline);
                Thread.sleep(100);
            }
            Thread.sleep(8_000);
            tx.initTransactions();
            long t0 = System.nanoTime();
            tx.beginTransaction();
            for (int i = 0; i < taskPrompts.size(); i++) {
                tx.send(GeneratorBenchmark.record(topics, i % PARTITIONS, "p" + i, taskPrompts.get(i)));
            }
            tx.commitTransaction();
            reader.until(s -> s.size() >= taskPrompts.size() * N, Duration.ofMinutes(30));
            double wall = (System.nanoTime() - t0) / 1e9;
            List<Long> samples = new ArrayList<>();
            List<Long> tokens = new ArrayList<>();
            List<Double> decoding = new ArrayList<>();
            for (Generator g : generators) {
                GeneratorStats.Snapshot s = g.stats().snapshot();
                samples.add(s.samples());
                tokens.add(s.tokens());
                decoding.add(s.decodeNanos() / 1e9 / wall);
            }
            return new Run(instances, batch, wall, samples, tokens, decoding);
        } finally {
            for (Generator g : generators) {
                g.stop();
            }
            for (int i = 0; i < generators.size(); i++) {
                generators.get(i).awaitStopped(Duration.ofSeconds(60));
                threads.get(i).join(10_000);
            }
        }
    }

    private static Map<String, String> settings(KafkaSettings kafka, LocalCheckpointStore store, int run, int instance,
                                                int batch) {
        Map<String, String> env = new HashMap<>();
        env.put("ODPO_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("ODPO_SCHEMA_REGISTRY_URL", kafka.registryUrl());
        env.put("ODPO_TOPIC_PREFIX", kafka.topics().prefix());
        env.put("ODPO_TOPIC_PARTITIONS", Integer.toString(PARTITIONS));
        env.put("ODPO_CHECKPOINT_DIR", store.root().toString());
        env.put("ODPO_GENERATOR_ID", "scale-" + run + "-" + instance);
        env.put("ODPO_GENERATOR_GROUP_ID", "scale-" + run);
        env.put("ODPO_GENERATOR_N", Integer.toString(N));
        env.put("ODPO_GENERATOR_BATCH_SIZE", Integer.toString(batch));
        env.put("ODPO_GENERATOR_MAX_NEW_TOKENS", "64");
        env.put("ODPO_GENERATOR_PROGRESS_INTERVAL", "60s");
        return env;
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
