package dev.odpo.learner;

import static dev.odpo.learner.LearnerFixture.POLICY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.CheckpointAnnouncement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across crashes: the learner runs as its own JVM and is killed with SIGKILL once between two
 * updates and once between writing a snapshot and announcing it; a third run finishes and stops on SIGTERM.
 * The announced snapshots' lineage files then list every pair exactly once, the snapshot written by the
 * killed run was replaced by the one announced, and every offset is committed.
 */
class LearnerCrashTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final int PAIRS = 64;

    @TempDir
    Path tmp;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void everyPairUpToTheLastAnnouncementIsTrainedExactlyOnceAcrossKills() throws Exception {
        try (LearnerFixture f = new LearnerFixture(KAFKA.bootstrapServers(), KAFKA.registryUrl(), "c.", tmp)) {
            // Given pi0 as v0 and 64 pairs: 8 updates of 8, a snapshot every 3 updates
            f.publishPi0(POLICY, 7, false);
            f.send(LearnerFixture.pairs(0, PAIRS, 0));
            Path config = f.writeProperties(Map.of("learner.snapshot.steps", "3", "learner.snapshot.interval", "0s",
                    "learner.metrics.steps", "2"));
            Path log = tmp.resolve("learner.log");

            // When run 1 is killed right after update 5 (v1 = updates 1-3 announced, 4-5 only in memory)
            Path p1 = tmp.resolve("run1.progress");
            Process run1 = start(config, "update:5", p1, log);
            waitFor(() -> lines(p1).contains("frozen after update 5"), Duration.ofSeconds(120), "run 1 to reach update 5", log);
            kill(run1);
            assertThat(f.announcements(POLICY).keySet()).containsExactly(0L, 1L);

            // ... run 2 resumes from v1 and is killed after writing v2, before announcing it
            Path p2 = tmp.resolve("run2.progress");
            Process run2 = start(config, "written:2", p2, log);
            waitFor(() -> lines(p2).contains("frozen after writing v2"), Duration.ofSeconds(120), "run 2 to write v2", log);
            kill(run2);
            assertThat(lines(p2)).as("run 2 trained updates 4-6 again").startsWith("updated 4", "updated 5", "updated 6");
            assertThat(f.announcements(POLICY).keySet()).containsExactly(0L, 1L);
            assertThat(f.store.list(POLICY)).extracting(m -> m.version()).as("v2 written, not announced").contains(2L);

            // ... and run 3 goes on from v1 again, trains everything, and stops on SIGTERM
            Path p3 = tmp.resolve("run3.progress");
            Process run3 = start(config, "none", p3, log);
            waitFor(() -> lines(p3).contains("updated 8"), Duration.ofSeconds(120), "run 3 to reach update 8", log);
            run3.destroy();
            assertThat(run3.waitFor(60, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
            assertThat(lines(p3)).as("the updates since v2 published on the way out").contains("announced v2", "announced v3");

            // Then every announced version opens verified, and their lineage lists each pair exactly once
            Map<Long, CheckpointAnnouncement> announced = f.announcements(POLICY);
            assertThat(announced.keySet()).containsExactly(0L, 1L, 2L, 3L);
            assertThat(announced.get(1L).getStep()).isEqualTo(3);
            assertThat(announced.get(2L).getStep()).isEqualTo(6);
            assertThat(announced.get(3L).getStep()).isEqualTo(8);
            List<String> trained = f.trainedPairIds(announced);
            assertThat(trained).doesNotHaveDuplicates().hasSize(PAIRS);
            Set<String> expected = new HashSet<>();
            LearnerFixture.pairs(0, PAIRS, 0).forEach(p -> expected.add(p.getPairId()));
            assertThat(new HashSet<>(trained)).isEqualTo(expected);
            assertThat(announced.get(3L).getPairsTrained()).isEqualTo(PAIRS);
            assertThat(f.allConsumed()).as("every offset committed with the snapshots").isTrue();
        }
    }

    private Process start(Path config, String point, Path progress, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx384m", "-XX:+UseSerialGC", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path"), CrashingLearner.class.getName(),
                config.toString(), point, progress.toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("ODPO_"));
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly();   // SIGKILL: no shutdown hook, no clean-up
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    private static List<String> lines(Path progress) {
        try {
            return Files.exists(progress) ? Files.readAllLines(progress) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void waitFor(BooleanSupplier condition, Duration timeout, String what, Path log)
            throws InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
                throw new AssertionError("timed out waiting for " + what + "; learner log tail:\n"
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())));
            }
            Thread.sleep(100);
        }
    }
}
