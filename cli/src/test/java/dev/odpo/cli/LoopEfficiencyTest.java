package dev.odpo.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.odpo.events.LearnerMetrics;
import dev.odpo.generator.GeneratorStats;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Summing the learner's metrics windows and the generators' counters into where a run's time went. */
class LoopEfficiencyTest {

    @Test
    void learnerWindowsAddUpToRateIdleShareAndLagDistribution() {
        // Given: a 60 s window with half of it waiting, 32 pairs (24 on-policy, 8 one version behind), 2 skipped
        // as too stale; then a 30 s window without waiting, 16 pairs (8 on-policy, 8 two versions behind).
        LearnerMetrics first = metrics(32, Map.of("window_seconds", 60.0, "wait_share", 0.5, "skipped_stale", 2.0,
                "staleness_0", 24.0, "staleness_1", 8.0));
        LearnerMetrics second = metrics(16, Map.of("window_seconds", 30.0, "wait_share", 0.0, "staleness_0", 8.0,
                "staleness_2", 8.0));

        // When
        LoopEfficiency e = LoopEfficiency.of(List.of(first, second), List.of());

        // Then: 48 pairs in 90 s of learner time, 30 s of it waiting.
        assertThat(e.pairsTrained()).isEqualTo(48);
        assertThat(e.pairsPerMinute()).isCloseTo(32.0, within(1e-9));
        assertThat(e.learnerIdleShare()).isCloseTo(1.0 / 3, within(1e-9));
        assertThat(e.lag()).containsExactly(Map.entry(0L, 32L), Map.entry(1L, 8L), Map.entry(2L, 8L));
        assertThat(e.lagShare(0)).isCloseTo(2.0 / 3, within(1e-9));
        assertThat(e.lagShare(3)).isZero();
        assertThat(e.meanLag()).isCloseTo((8 + 16) / 48.0, within(1e-9));
        assertThat(e.skippedStale()).isEqualTo(2);
    }

    @Test
    void adoptionLatenciesAreMediansOverEveryGeneratorsAdoptions() {
        // Given: two generators, three adoptions between them.
        var a = new LoopEfficiency.GeneratorFigures("g0", 100, 2_000, 40_000, 90, 5, List.of(
                adoption(1, 500, 5_000), adoption(2, 900, 7_000)));
        var b = new LoopEfficiency.GeneratorFigures("g1", 100, 1_000, 20_000, 45, 50, List.of(adoption(1, 700, 6_000)));

        // When
        LoopEfficiency e = LoopEfficiency.of(List.of(), List.of(a, b));

        // Then: medians over all three; one line per generator plus their total.
        assertThat(e.adoptions()).isEqualTo(3);
        assertThat(e.medianReadySeconds()).isCloseTo(0.7, within(1e-9));
        assertThat(e.medianFirstSampleSeconds()).isCloseTo(6.0, within(1e-9));
        assertThat(e.lines()).filteredOn(l -> l.contains("samples/s")).hasSize(3);
        assertThat(Double.isNaN(e.pairsPerMinute())).as("no learner time, no rate").isTrue();
    }

    private static GeneratorStats.Adoption adoption(long version, long readyMillis, long firstSampleMillis) {
        return new GeneratorStats.Adoption(version, Duration.ofMillis(readyMillis), Duration.ofMillis(firstSampleMillis));
    }

    private static LearnerMetrics metrics(int pairs, Map<String, Double> extra) {
        return LearnerMetrics.newBuilder().setMetricsId("m").setPolicyName("p").setPolicyVersion(1).setStep(1)
                .setCreatedAt(Instant.EPOCH).setLossType("dpo").setBeta(0.1).setLoss(0.6).setRewardAccuracy(0.5)
                .setRewardMargin(0).setChosenReward(0).setRejectedReward(0).setPairs(pairs).setStalenessMean(0)
                .setStalenessMax(0).setLearningRate(1e-5).setMetrics(Map.copyOf(extra)).build();
    }
}
