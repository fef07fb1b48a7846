package dev.odpo.learner;

import static dev.odpo.learner.LearnerFixture.POLICY;
import static org.awaitility.Awaitility.await;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.LearnerMetrics;
import dev.odpo.events.PreferencePair;
import dev.odpo.model.DpoTrainer;
import dev.odpo.model.LlamaConfig;
import dev.odpo.task.TaskTokenizer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The learner's throughput in its running loop (Kafka, encoding, DPO steps, snapshots, transactions), on a
 * random model of the tiny test size and of π0's size, with task-like pair lengths. Run by hand, building the
 * modules it uses in the same reactor: {@code ./mvnw -B -o -pl learner -am test-compile surefire:test@benchmark
 * -Dtest=LearnerBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class LearnerBenchmark {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final int PAIRS = 1024;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "pi0"})
    void pairsPerSecond(String size) throws Exception {
        LlamaConfig config = size.equals("tiny") ? LearnerFixture.tinyConfig()
                // π0's shape: D 128, 4 layers, 4 heads (2 KV), the task's vocabulary, 256 positions
                : new LlamaConfig("LlamaForCausalLM", TaskTokenizer.vocabSize(), 128, 256, 4, 4, 2, 32, 1e-6, 10000.0,
                1.0, 256, true, false, 0, TaskTokenizer.BOS_ID, List.of(TaskTokenizer.EOS_ID), TaskTokenizer.PAD_ID);
        try (LearnerFixture f = new LearnerFixture(KAFKA.bootstrapServers(), "mock://bench-" + size, size + ".", tmp)) {
            f.publishPi0(POLICY, config, 1, false);
            f.send(pairs());
            AtomicLong firstUpdate = new AtomicLong();
            AtomicLong stepNanos = new AtomicLong();
            AtomicLong steps = new AtomicLong();
            long[] last = {0};
            Learner learner = Learner.create(f.config(Map.of("learner.batch.size", "16", "learner.snapshot.steps", "16",
                    "learner.metrics.steps", "8", "learner.learning.rate", "1e-4")), new LearnerListener() {
                @Override
                public void updated(long updates, DpoTrainer.StepMetrics m) {
                    long now = System.nanoTime();
                    if (updates == 1) {
                        firstUpdate.set(now);
                    } else {
                        stepNanos.addAndGet(now - last[0]);
                        steps.incrementAndGet();
                    }
                    last[0] = now;
                }
            });
            Thread t = new Thread(learner::run, "learner");
            t.start();
            await().atMost(Duration.ofMinutes(20)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> f.announcements(POLICY).containsKey((long) PAIRS / 16 / 16));
            long end = System.nanoTime();
            learner.stop();
            learner.awaitStopped(Duration.ofSeconds(60));
            List<LearnerMetrics> metrics = f.readAll(f.topics.learnerMetrics());
            double trainRate = metrics.stream().skip(1).mapToDouble(m -> m.getMetrics().get("train_pairs_per_second"))
                    .filter(Double::isFinite).average().orElse(Double.NaN);
            double seconds = (end - firstUpdate.get()) / 1e9;
            System.out.printf("load average %.1f; learner benchmark [%s, %d parameters]: %d pairs after the first update in %.1f s = %.1f "
                            + "pairs/s end to end (snapshots and transactions included); %.1f ms between updates of 16 "
                            + "pairs; %.1f pairs/s in DPO steps alone%n",
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), size, config.parameterCount(), PAIRS - 16, seconds,
                    (PAIRS - 16) / seconds, stepNanos.get() / 1e6 / steps.get(), trainRate);
        }
    }

    /** Task-like lengths: a prompt of about 40 characters, responses of 10 to 60. */
    private static List<PreferencePair> pairs() {
        Random rng = new Random(3);
        List<PreferencePair> out = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
            PreferencePair p = LearnerFixture.pair(i, 0);
            out.add(PreferencePair.newBuilder(p)
                    .setPromptText("Sort these numbers: " + rng.ints(6, 0, 100).boxed().toList())
                    .setChosenText("Sorted: " + "x".repeat(10 + rng.nextInt(50)))
                    .setRejectedText("Hmm " + "y".repeat(10 + rng.nextInt(50))).build());
        }
        return out;
    }
}
