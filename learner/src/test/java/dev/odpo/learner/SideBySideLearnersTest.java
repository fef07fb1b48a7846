package dev.odpo.learner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.odpo.broker.EmbeddedKafkaExtension;
import dev.odpo.events.CheckpointAnnouncement;
import dev.odpo.events.LearnerMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two learners with different policy names and β train side by side on the same pairs, each in its own
 * process (a JVM records one gradient graph at a time), with its own consumer group and line of versions.
 */
class SideBySideLearnersTest {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @TempDir
    Path tmp;

    @Test
    void twoPolicyNamesTrainOnTheSamePairsEachItsOwnLineOfVersions() throws Exception {
        try (LearnerFixture f = new LearnerFixture(KAFKA.bootstrapServers(), KAFKA.registryUrl(), "s.", tmp);
             LearnerProcesses learners = new LearnerProcesses(tmp.resolve("learner.log"))) {
            // Given the same pi0 published under two names, and a learner for each with its own beta and group
            f.publishPi0("beta01", 4, false);
            f.publishPi0("beta05", 4, false);
            Path p01 = tmp.resolve("beta01.progress");
            Path p05 = tmp.resolve("beta05.progress");
            learners.start(f.writeProperties(Map.of("learner.policy.name", "beta01", "learner.group.id", "g01",
                    "learner.beta", "0.1")), "none", p01);
            learners.start(f.writeProperties(Map.of("learner.policy.name", "beta05", "learner.group.id", "g05",
                    "learner.beta", "0.5")), "none", p05);

            // When 16 pairs arrive
            f.send(LearnerFixture.pairs(0, 16, 0));

            // Then each trains on all of them, exactly once, along its own line of versions
            Set<String> ids = new HashSet<>();
            LearnerFixture.pairs(0, 16, 0).forEach(p -> ids.add(p.getPairId()));
            for (String name : List.of("beta01", "beta05")) {
                learners.waitFor(() -> trained(f, name).size() >= ids.size(), Duration.ofSeconds(180),
                        name + " to publish all 16 pairs");
                Map<Long, CheckpointAnnouncement> announced = f.announcements(name);
                assertThat(announced.values()).extracting(CheckpointAnnouncement::getPolicyName).containsOnly(name);
                assertThat(announced.get(1L).getUri()).contains("/" + name + "/");
                List<String> trained = f.trainedPairIds(announced);
                assertThat(trained).doesNotHaveDuplicates();
                assertThat(new HashSet<>(trained)).isEqualTo(ids);
            }
            List<LearnerMetrics> metrics = f.readAll(f.topics.learnerMetrics());
            assertThat(metrics).filteredOn(m -> m.getPolicyName().equals("beta01")).extracting(LearnerMetrics::getBeta)
                    .isNotEmpty().containsOnly(0.1);
            assertThat(metrics).filteredOn(m -> m.getPolicyName().equals("beta05")).extracting(LearnerMetrics::getBeta)
                    .isNotEmpty().containsOnly(0.5);
        }
    }

    private static List<String> trained(LearnerFixture f, String name) {
        try {
            return f.trainedPairIds(f.announcements(name));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
