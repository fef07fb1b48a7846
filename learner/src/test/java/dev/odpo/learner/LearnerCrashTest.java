package dev.odpo.learner;

import static dev.odpo.learner.LearnerFixture.POLICY;
import static dev.odpo.learner.LearnerProcesses.kill;
import static dev.odpo.learner.LearnerProcesses.lines;
import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.CheckpointAnnouncement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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

    @Test
    void everyPairUpToTheLastAnnouncementIsTrainedExactlyOnceAcrossKills() throws Exception {
        try (LearnerFixture f = new LearnerFixture(KAFKA.bootstrapServers(), KAFKA.registryUrl(), "c.", tmp);
             LearnerProcesses learners = new LearnerProcesses(tmp.resolve("learner.log"))) {
            // Given pi0 as v0 and 64 pairs: 8 updates of 8, a snapshot every 3 updates
            f.publishPi0(POLICY, 7, false);
            f.send(LearnerFixture.pairs(0, PAIRS, 0));
            Path config = f.writeProperties(Map.of("learner.snapshot.steps", "3", "learner.snapshot.interval", "0s",
                    "learner.metrics.steps", "2"));

            // When run 1 is killed right after update 5 (v1 = updates 1-3 announced, 4-5 only in memory)
            Path p1 = tmp.resolve("run1.progress");
            Process run1 = learners.start(config, "update:5", p1);
            learners.waitFor(() -> lines(p1).contains("frozen after update 5"), Duration.ofSeconds(120), "run 1 to reach update 5");
            kill(run1);
            assertThat(f.announcements(POLICY).keySet()).containsExactly(0L, 1L);

            // ... run 2 resumes from v1 and is killed after writing v2, before announcing it
            Path p2 = tmp.resolve("run2.progress");
            Process run2 = learners.start(config, "written:2", p2);
            learners.waitFor(() -> lines(p2).contains("frozen after writing v2"), Duration.ofSeconds(120), "run 2 to write v2");
            kill(run2);
            assertThat(lines(p2)).as("run 2 trained updates 4-6 again").startsWith("updated 4", "updated 5", "updated 6");
            assertThat(f.announcements(POLICY).keySet()).containsExactly(0L, 1L);
            assertThat(f.store.list(POLICY)).extracting(m -> m.version()).as("v2 written, not announced").contains(2L);

            // ... and run 3 goes on from v1 again, trains everything, and stops on SIGTERM
            Path p3 = tmp.resolve("run3.progress");
            Process run3 = learners.start(config, "none", p3);
            learners.waitFor(() -> lines(p3).contains("updated 8"), Duration.ofSeconds(120), "run 3 to reach update 8");
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
}
