package dev.odpo.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.RewardModel;
import dev.odpo.policy.Policy;
import dev.odpo.policy.ScoringModel;
import dev.odpo.task.TaskPrompt;
import dev.odpo.task.TaskTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The measurement itself, without Kafka: reproducible, and right for a policy against itself and against another. */
class HeldOutEvaluationTest {

    @TempDir
    static Path tmp;
    static Policy pi0;
    static Policy other;
    static final HeldOutEvaluation EVAL = new HeldOutEvaluation(TinyPolicies.SPEC, null);
    static Rollouts pi0Rollouts;
    static Rollouts otherRollouts;

    @BeforeAll
    static void policies() throws Exception {
        pi0 = TinyPolicies.load(TinyPolicies.write(tmp.resolve("pi0"), 11));
        other = TinyPolicies.load(TinyPolicies.write(tmp.resolve("other"), 12));
        pi0Rollouts = EVAL.rollouts(pi0);
        otherRollouts = EVAL.rollouts(other);
    }

    @AfterAll
    static void close() {
        pi0.close();
        other.close();
    }

    @Test
    void aPolicyMeasuredAgainstItselfHasNoKlAndWinsHalfTheTime() {
        EvalFigures f = EVAL.measure(pi0, pi0Rollouts, pi0, pi0Rollouts);

        assertThat(f.prompts()).isEqualTo(8);
        assertThat(f.kl()).isZero();
        assertThat(f.objective()).isEqualTo(f.goldReward());
        assertThat(f.winRate()).isEqualTo(0.5);
        assertThat(f.greedyWinRate()).isEqualTo(0.5);
        assertThat(f.proxyReward()).isNull();
        assertThat(f.goldReward()).isBetween(0.0, 1.0);
        assertThat(f.accuracy()).isBetween(0.0, 1.0);
        assertThat(f.meanResponseTokens()).isBetween(0.0, 12.0);
        assertThat(pi0Rollouts.sampled().generations()).hasSize(8);
        assertThat(pi0Rollouts.prompts()).isEqualTo(TinyPolicies.SPEC.heldOutPrompts());
    }

    @Test
    void theSameSpecGivesTheSameResponsesAndFiguresEveryTime() {
        Rollouts again = EVAL.rollouts(other);
        assertThat(again.sampled().texts()).isEqualTo(otherRollouts.sampled().texts());
        assertThat(again.greedy().texts()).isEqualTo(otherRollouts.greedy().texts());
        assertThat(EVAL.measure(other, again, pi0, pi0Rollouts))
                .isEqualTo(EVAL.measure(other, otherRollouts, pi0, pi0Rollouts));
    }

    @Test
    void againstAnotherReferenceTheKlIsPositiveAndJSubtractsBetaTimesIt() {
        EvalFigures f = EVAL.measure(other, otherRollouts, pi0, pi0Rollouts);

        assertThat(f.kl()).isGreaterThan(0.5);
        assertThat(f.objective()).isCloseTo(f.goldReward() - 0.1 * f.kl(), within(1e-12));
        assertThat(f.winRate()).isEqualTo(WinRate.of(otherRollouts.sampled().rewards(), pi0Rollouts.sampled().rewards()));
        assertThat(f.greedyWinRate()).isEqualTo(WinRate.of(otherRollouts.greedy().rewards(), pi0Rollouts.greedy().rewards()));
    }

    @Test
    void withoutPi0TheWinRatesAreLeftOut() {
        EvalFigures f = EVAL.measure(other, otherRollouts, pi0, null);
        assertThat(f.winRate()).isNull();
        assertThat(f.greedyWinRate()).isNull();
        assertThat(f.toReport(new EvalFigures.Subject("other", 1, 0L, null, null), TinyPolicies.SPEC,
                java.time.Instant.now(), 1).getMetrics()).doesNotContainKeys(EvalFigures.WIN_RATE, EvalFigures.STEP);
    }

    @Test
    void withARewardModelTheProxyRewardIsTheMeanScoreOfTheSampledResponses() throws Exception {
        Path rmDir = tmp.resolve("rm");
        try (LlamaModel base = TinyPolicies.model(13); RewardModel rm = RewardModel.fromPolicy(base, 5)) {
            rm.save(rmDir);
        }
        TaskTokenizer.write(rmDir);
        try (ScoringModel proxy = ScoringModel.load(rmDir, Device.cpu())) {
            EvalFigures f = new HeldOutEvaluation(TinyPolicies.SPEC, proxy).measure(other, otherRollouts, pi0, pi0Rollouts);

            List<String> questions = otherRollouts.prompts().stream().map(TaskPrompt::text).toList();
            float[] scores = proxy.score(questions, otherRollouts.sampled().texts());
            double mean = 0;
            for (float x : scores) {
                mean += x / (double) scores.length;
            }
            assertThat(f.proxyReward()).isCloseTo(mean, within(1e-5));
            // the gold figures do not depend on the reward model
            assertThat(f.goldReward()).isEqualTo(EVAL.measure(other, otherRollouts, pi0, pi0Rollouts).goldReward());
        }
    }

    @Test
    void atAnotherTemperatureTheKlStillComesFromThePolicysOwnTemperatureOneSamples() {
        HeldOutEvaluation cold = new HeldOutEvaluation(new EvaluationSpec(8, 1, 0.5, 12, 4, 0.1), null);
        Rollouts coldRollouts = cold.rollouts(other);
        assertThat(coldRollouts.sampled().texts()).isNotEqualTo(otherRollouts.sampled().texts());
        // the same temperature-1 draws as the spec at temperature 1
        assertThat(cold.measure(other, coldRollouts, pi0, null).kl())
                .isEqualTo(EVAL.measure(other, otherRollouts, pi0, null).kl());
    }
}
