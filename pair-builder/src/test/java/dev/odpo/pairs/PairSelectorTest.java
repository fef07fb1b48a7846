package dev.odpo.pairs;

import static dev.odpo.pairs.Events.T0;
import static dev.odpo.pairs.Events.pilafSample;
import static dev.odpo.pairs.Events.sample;
import static dev.odpo.pairs.Events.score;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.odpo.events.PairSource;
import dev.odpo.events.PreferencePair;
import dev.odpo.events.SamplerKind;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PairSelectorTest {

    /** A complete group "g" with the given rewards and response texts r0, r1, ... */
    private static List<ScoredSample> group(String id, double... rewards) {
        GroupState g = new GroupState(id, Events.promptOf(id), 0);
        for (int i = 0; i < rewards.length; i++) {
            g.add(sample(id, i, rewards.length, "response " + i));
            g.add(score(id, i, rewards.length, rewards[i]));
        }
        return g.scoredSamples(ScorerChoice.any(), LengthUnit.CHARS);
    }

    private static List<String> chosenRejected(PairSelector.Selection selection) {
        return selection.pairs().stream().map(p -> p.getChosenSampleId() + ">" + p.getRejectedSampleId()).toList();
    }

    @Test
    void maxMinPairsBestAgainstWorstWithFullLineage() {
        PairSelector selector = new PairSelector(SelectionRule.MAX_MIN, 0, 0, 0);
        PairSelector.Selection selection = selector.select("g", group("g", 0.2, 0.9, -0.4, 0.5), T0);

        assertThat(chosenRejected(selection)).containsExactly("g-s1>g-s2");
        PreferencePair pair = selection.pairs().get(0);
        assertThat(pair.getChosenReward()).isEqualTo(0.9);
        assertThat(pair.getRejectedReward()).isEqualTo(-0.4);
        assertThat(pair.getMargin()).isCloseTo(1.3, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(pair.getChosenText()).isEqualTo("response 1");
        assertThat(pair.getRejectedText()).isEqualTo("response 2");
        assertThat(pair.getPromptText()).isEqualTo("prompt of g");
        assertThat(pair.getChosenPolicyVersion()).isEqualTo(4);
        assertThat(pair.getRejectedPolicyVersion()).isEqualTo(5);
        assertThat(pair.getChosenLogprob()).isEqualTo(-3.0);
        assertThat(pair.getSource()).isEqualTo(PairSource.REWARD_MODEL);
        assertThat(pair.getJudge()).isEqualTo("reward-model:rm");
        assertThat(pair.getSelection()).isEqualTo("max-min");
        assertThat(pair.getScoreIds()).containsExactly("g-s1@reward-model:rm", "g-s2@reward-model:rm");
        assertThat(pair.getPairId()).isEqualTo(PairIds.ofGroupPair(SelectionRule.MAX_MIN, "g", "g-s1", "g-s2"));
        assertThat(selection.ties()).isZero();
    }

    @Test
    void allEqualRewardsAreATieAndGiveNoPair() {
        PairSelector selector = new PairSelector(SelectionRule.MAX_MIN, 0, 0, 0);
        PairSelector.Selection selection = selector.select("g", group("g", 0.5, 0.5, 0.5), T0);
        assertThat(selection.pairs()).isEmpty();
        assertThat(selection.ties()).isEqualTo(1);
    }

    @Test
    void identicalResponsesAreATieEvenWithDifferentRewards() {
        GroupState g = new GroupState("g", "g-p", 0);
        g.add(sample("g", 0, 2, "same words"));
        g.add(sample("g", 1, 2, "same words"));
        g.add(score("g", 0, 2, 1.0));
        g.add(score("g", 1, 2, 0.0));
        PairSelector.Selection selection = new PairSelector(SelectionRule.MAX_MIN, 0, 0, 0)
                .select("g", g.scoredSamples(ScorerChoice.any(), LengthUnit.CHARS), T0);
        assertThat(selection.pairs()).isEmpty();
        assertThat(selection.ties()).isEqualTo(1);
    }

    @Test
    void marginBelowThresholdIsDroppedAndAtThresholdKept() {
        PairSelector selector = new PairSelector(SelectionRule.MAX_MIN, 0.5, 0, 0);
        PairSelector.Selection weak = selector.select("a", group("a", 0.1, 0.5), T0);
        PairSelector.Selection strong = selector.select("b", group("b", 0.0, 0.5), T0);
        assertThat(weak.pairs()).isEmpty();
        assertThat(weak.belowMargin()).isEqualTo(1);
        assertThat(chosenRejected(strong)).containsExactly("b-s1>b-s0");
    }

    @Test
    void lengthPenaltyCanReverseTheRanking() {
        // rewards 1.0 ("response 0" padded long) vs 0.8 (short): with λ = 0.01 per character the short one wins.
        GroupState g = new GroupState("g", "g-p", 0);
        g.add(sample("g", 0, 2, "x".repeat(100)));
        g.add(sample("g", 1, 2, "y".repeat(10)));
        g.add(score("g", 0, 2, 1.0));
        g.add(score("g", 1, 2, 0.8));
        List<ScoredSample> scored = g.scoredSamples(ScorerChoice.any(), LengthUnit.CHARS);

        assertThat(chosenRejected(new PairSelector(SelectionRule.MAX_MIN, 0, 0, 0).select("g", scored, T0)))
                .containsExactly("g-s0>g-s1");
        PairSelector.Selection penalised = new PairSelector(SelectionRule.MAX_MIN, 0, 0.01, 0).select("g", scored, T0);
        assertThat(chosenRejected(penalised)).containsExactly("g-s1>g-s0");
        // ranking values: 0.8 - 0.1 = 0.7 and 1.0 - 1.0 = 0.0
        assertThat(penalised.pairs().get(0).getChosenReward()).isCloseTo(0.7, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(penalised.pairs().get(0).getMargin()).isCloseTo(0.7, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void maxRandomPairsTheBestWithEachOtherSampleOverManyGroupsAndIsDeterministic() {
        PairSelector selector = new PairSelector(SelectionRule.MAX_RANDOM, 0, 0, 7);
        Set<String> rejectedIndexes = new HashSet<>();
        for (int g = 0; g < 200; g++) {
            String id = "g" + g;
            PairSelector.Selection selection = selector.select(id, group(id, 0.1, 0.2, 0.9, 0.3), T0);
            assertThat(selection.pairs()).hasSize(1);
            PreferencePair pair = selection.pairs().get(0);
            assertThat(pair.getChosenSampleId()).isEqualTo(id + "-s2");
            assertThat(pair.getSelection()).isEqualTo("max-random");
            rejectedIndexes.add(pair.getRejectedSampleId().substring(id.length()));
            // same input, same pair
            assertThat(selector.select(id, group(id, 0.1, 0.2, 0.9, 0.3), T0).pairs().get(0).getPairId())
                    .isEqualTo(pair.getPairId());
        }
        assertThat(rejectedIndexes).containsExactlyInAnyOrder("-s0", "-s1", "-s3");
    }

    @Test
    void pilafPairsTheSamplesDrawnTogether() {
        GroupState g = new GroupState("g", "g-p", 0);
        g.add(pilafSample("g", 0, 4, 0, SamplerKind.PILAF_PLUS, "plus"));
        g.add(pilafSample("g", 1, 4, 1, SamplerKind.POLICY, "policy a"));
        g.add(pilafSample("g", 2, 4, 0, SamplerKind.PILAF_MINUS, "minus"));
        g.add(pilafSample("g", 3, 4, 1, SamplerKind.POLICY, "policy b"));
        double[] rewards = {0.1, 0.7, 0.6, 0.2};
        for (int i = 0; i < 4; i++) {
            g.add(score("g", i, 4, rewards[i]));
        }
        PairSelector.Selection selection = new PairSelector(SelectionRule.PILAF, 0, 0, 0)
                .select("g", g.scoredSamples(ScorerChoice.any(), LengthUnit.CHARS), T0);

        // slot 0: s2 (0.6, π⁻) beats s0 (0.1, π⁺); slot 1: s1 (0.7) beats s3 (0.2). Max-min would give s1 > s0.
        assertThat(chosenRejected(selection)).containsExactly("g-s2>g-s0", "g-s1>g-s3");
        assertThat(selection.pairs().get(0).getChosenSampler()).isEqualTo(SamplerKind.PILAF_MINUS);
        assertThat(selection.pairs().get(0).getRejectedSampler()).isEqualTo(SamplerKind.PILAF_PLUS);
        assertThat(selection.pairs().get(0).getSelection()).isEqualTo("pilaf");
    }

    @Test
    void pilafWithoutSlotsPairsNeighboursAndSkipsAnUnpairedSample() {
        PairSelector.Selection selection = new PairSelector(SelectionRule.PILAF, 0, 0, 0)
                .select("g", group("g", 0.3, 0.1, 0.4, 0.9, 0.5), T0);
        assertThat(chosenRejected(selection)).containsExactly("g-s0>g-s1", "g-s3>g-s2");
    }

    @Test
    void fewerThanTwoSamplesGiveNothing() {
        for (SelectionRule rule : SelectionRule.values()) {
            PairSelector.Selection selection = new PairSelector(rule, 0, 0, 0).select("g", group("g", 0.3), T0);
            assertThat(selection.pairs()).isEmpty();
            assertThat(selection.ties()).isZero();
        }
    }

    @Test
    void rejectsNegativeOrNonFiniteSettings() {
        assertThatThrownBy(() -> new PairSelector(SelectionRule.MAX_MIN, -0.1, 0, 0)).hasMessageContaining("minMargin");
        assertThatThrownBy(() -> new PairSelector(SelectionRule.MAX_MIN, 0, Double.NaN, 0)).hasMessageContaining("lengthPenalty");
        assertThatThrownBy(() -> SelectionRule.parse("best-of")).hasMessage(
                "unknown selection rule 'best-of' (expected one of max-min, max-random, pilaf)");
        assertThat(SelectionRule.parse(" MAX-RANDOM ")).isEqualTo(SelectionRule.MAX_RANDOM);
    }
}
