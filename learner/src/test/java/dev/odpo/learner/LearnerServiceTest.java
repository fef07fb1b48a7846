package dev.odpo.learner;

import static dev.odpo.learner.LearnerFixture.POLICY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.Device;
import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.DeadLetter;
import dev.odpo.events.LearnerMetrics;
import dev.odpo.model.LlamaModel;
import dev.odpo.policy.Snapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The learner in this JVM against a real broker: pairs in, snapshots announced that load bit-identical,
 * duplicates, stale and undecodable pairs handled, metrics published, a restart that goes on, the iterative
 * mode, and a policy whose loss is never finite that never publishes.
 */
class LearnerServiceTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    @TempDir
    Path tmp;

    private final List<Learner> running = new ArrayList<>();

    @AfterEach
    void stopLearners() throws InterruptedException {
        for (Learner l : running) {
            l.stop();
            l.awaitStopped(Duration.ofSeconds(60));
        }
    }

    private LearnerFixture fixture() throws Exception {
        int n = PREFIXES.incrementAndGet();
        return new LearnerFixture(KAFKA.bootstrapServers(), "mock://learner-test-" + n, "l" + n + ".", tmp);
    }

    private Learner start(LearnerConfig config, LearnerListener listener) {
        Learner l = Learner.create(config, listener);
        running.add(l);
        Thread t = new Thread(l::run, "learner");
        t.setDaemon(true);
        t.start();
        return l;
    }

    @Test
    void trainsPublishesLoadableSnapshotsAndAccountsForEveryPair() throws Exception {
        try (LearnerFixture f = fixture()) {
            // Given pi0 announced as v0, a learner that bounds staleness at 0, and 16 pairs sampled from v0
            f.publishPi0(POLICY, 1, false);
            Map<Long, Map<String, float[]>> inMemory = new LinkedHashMap<>();
            Learner learner = start(f.config(Map.of("learner.max.staleness", "0")), new LearnerListener() {
                @Override
                public void snapshotWritten(Snapshot s, LlamaModel policy) {
                    Map<String, float[]> w = new LinkedHashMap<>();
                    policy.parameters().forEach((k, v) -> w.put(k, v.toFloatArray()));
                    inMemory.put(s.version(), w);
                }
            });
            f.send(LearnerFixture.pairs(0, 16, 0));

            // When they are trained: two updates of 8, then v1
            await().atMost(Duration.ofSeconds(90)).until(() -> f.announcements(POLICY).containsKey(1L));

            // ... and then come 8 pairs still sampled from v0 (stale now), a duplicate, a bad record and 16 from v1
            f.send(LearnerFixture.pairs(100, 108, 0));
            f.send(List.of(LearnerFixture.pair(3, 1)));
            f.sendRaw("p1", new byte[] {0, 0, 0, 0, 42, 1, 2});
            f.send(LearnerFixture.pairs(16, 32, 1));
            await().atMost(Duration.ofSeconds(90)).until(() -> f.announcements(POLICY).containsKey(2L));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(f::allConsumed);

            // Then every announced snapshot opens verified, with the weights the learner held when it wrote it
            Map<Long, CheckpointAnnouncement> announced = f.announcements(POLICY);
            assertThat(announced.keySet()).containsExactly(0L, 1L, 2L);
            for (long v : List.of(1L, 2L)) {
                CheckpointAnnouncement a = announced.get(v);
                assertThat(a.getParentVersion()).isEqualTo(v - 1);
                assertThat(a.getReferenceVersion()).as("initial reference").isEqualTo(0L);
                Snapshot s = f.store.open(a.getUri(), a.getSha256());
                assertThat(s.manifest().files()).extracting(e -> e.path())
                        .contains("model.safetensors", "tokenizer.json", "optimizer/adamw.safetensors",
                                "learner/trained-pairs.txt");
                try (LlamaModel loaded = LlamaModel.load(s.dir(), Device.cpu())) {
                    loaded.parameters().forEach((k, w) ->
                            assertThat(w.toFloatArray()).as("v" + v + " " + k).containsExactly(inMemory.get(v).get(k)));
                }
            }
            assertThat(announced.get(2L).getPairsTrained()).isEqualTo(32);
            assertThat(announced.get(2L).getStep()).isEqualTo(4);

            // ... each fresh pair was trained exactly once; the stale ones and the duplicate were not
            List<String> trained = f.trainedPairIds(announced);
            assertThat(trained).doesNotHaveDuplicates().hasSize(32);
            assertThat(new HashSet<>(trained)).isEqualTo(ids(0, 32));

            // ... the bad record is a dead letter, and the metrics say what happened
            List<DeadLetter> dead = f.readAll(f.topics.deadLetters());
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).getService()).isEqualTo("learner");
            List<LearnerMetrics> metrics = f.readAll(f.topics.learnerMetrics());
            assertThat(metrics).extracting(LearnerMetrics::getStep).containsExactly(1L, 2L, 3L, 4L);
            assertThat(metrics).extracting(LearnerMetrics::getPairs).containsOnly(8);
            assertThat(metrics).allSatisfy(m -> {
                assertThat(m.getPolicyName()).isEqualTo(POLICY);
                assertThat(m.getLossType()).isEqualTo("sigmoid");
                assertThat(m.getLoss()).isFinite().isPositive();
                assertThat(m.getRewardAccuracy()).isBetween(0.0, 1.0);
                assertThat(m.getRewardMargin()).isCloseTo(m.getChosenReward() - m.getRejectedReward(),
                        org.assertj.core.api.Assertions.within(1e-6));
                assertThat(m.getLearningRate()).isPositive();
                assertThat(m.getMetrics()).containsKeys("kl_estimate", "grad_norm", "pairs_per_second", "wait_share",
                        "skipped_stale", "duplicates", "dead_lettered");
            });
            double stale = metrics.stream().mapToDouble(m -> m.getMetrics().get("skipped_stale")).sum();
            double duplicates = metrics.stream().mapToDouble(m -> m.getMetrics().get("duplicates")).sum();
            assertThat(stale).isEqualTo(8);
            assertThat(duplicates).isEqualTo(1);
            assertThat(metrics.get(3).getStalenessMax()).isZero();
            assertThat(metrics.get(0).getPolicyVersion()).as("the version being trained").isEqualTo(1L);
            assertThat(metrics.get(3).getPolicyVersion()).isEqualTo(2L);

            // When the learner is stopped and started again, it goes on from v2 with its duplicate window
            learner.stop();
            assertThat(learner.awaitStopped(Duration.ofSeconds(60))).isTrue();
            start(f.config(Map.of("learner.max.staleness", "0")), LearnerListener.NONE);
            f.send(List.of(LearnerFixture.pair(5, 2)));                 // trained before: a duplicate
            f.send(LearnerFixture.pairs(32, 48, 2));
            await().atMost(Duration.ofSeconds(90)).until(() -> f.announcements(POLICY).containsKey(3L));
            Map<Long, CheckpointAnnouncement> after = f.announcements(POLICY);
            assertThat(after.get(3L).getParentVersion()).isEqualTo(2L);
            assertThat(after.get(3L).getStep()).as("updates go on from the snapshot's optimizer state").isEqualTo(6);
            List<String> all = f.trainedPairIds(after);
            assertThat(all).doesNotHaveDuplicates();
            assertThat(new HashSet<>(all)).isEqualTo(ids(0, 48));
        }
    }

    @Test
    void aPolicyWhoseLossIsNeverFiniteNeverPublishes() throws Exception {
        try (LearnerFixture f = fixture()) {
            f.publishPi0(POLICY, 2, true);
            start(f.config(Map.of("learner.snapshot.interval", "1s")), LearnerListener.NONE);
            f.send(LearnerFixture.pairs(0, 24, 0));
            // every pair is consumed and its offset committed ...
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(f::allConsumed);
            Thread.sleep(3000);   // past the snapshot interval
            // ... but nothing was trained, so nothing is published
            assertThat(f.announcements(POLICY).keySet()).containsExactly(0L);
            assertThat(f.store.list(POLICY)).extracting(m -> m.version()).containsExactly(0L);
        }
    }

    @Test
    void iterativeModeTrainsEpochsOnEachBatchOfNewPairsAndPublishesPerIteration() throws Exception {
        try (LearnerFixture f = fixture()) {
            f.publishPi0(POLICY, 3, false);
            start(f.config(Map.of("learner.mode", "iterative", "learner.iteration.pairs", "16",
                    "learner.iteration.epochs", "3", "learner.reference", "previous")), LearnerListener.NONE);
            f.send(LearnerFixture.pairs(0, 16, 0));
            await().atMost(Duration.ofSeconds(90)).until(() -> f.announcements(POLICY).containsKey(1L));
            f.send(LearnerFixture.pairs(16, 32, 1));
            await().atMost(Duration.ofSeconds(90)).until(() -> f.announcements(POLICY).containsKey(2L));
            Map<Long, CheckpointAnnouncement> announced = f.announcements(POLICY);
            // 3 epochs of 2 minibatches each
            assertThat(announced.get(1L).getStep()).isEqualTo(6);
            assertThat(announced.get(2L).getStep()).isEqualTo(12);
            assertThat(announced.get(1L).getReferenceVersion()).isEqualTo(0L);
            assertThat(announced.get(2L).getReferenceVersion()).as("previous: the last published").isEqualTo(1L);
            List<String> trained = f.trainedPairIds(announced);
            assertThat(trained).doesNotHaveDuplicates();
            assertThat(new HashSet<>(trained)).isEqualTo(ids(0, 32));
        }
    }

    private static HashSet<String> ids(int from, int to) {
        HashSet<String> out = new HashSet<>();
        for (int i = from; i < to; i++) {
            out.add("pair-" + i);
        }
        return out;
    }
}
