package dev.odpo.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.odpo.policy.Policy;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The measurement itself, without Kafka: reproducible, and right for a policy against itself and against another. */
class HeldOutEvaluationTest {

    @TempDir
    static Path tmp;
    static Path pi0;
    static Path other;

    @BeforeAll
    static void policies() throws Exception {
        pi0 = TinyPolicies.write(tmp.resolve("pi0"), 11);
        other = TinyPolicies.write(tmp.resolve("other"), 12);
    }

    @Test
    void aPolicyMeasuredAgainstItselfHasNoKlAndWinsHalfTheTime() throws Exception {
        HeldOutEvaluation eval = new HeldOutEvaluation(TinyPolicies.SPEC, null);
        try (Policy p = TinyPolicies.load(pi0)) {
            Rollouts own = eval.rollouts(p);
            EvalFigures f = eval.measure(p, own, p, own);

            assertThat(f.prompts()).isEqualTo(8);
            assertThat(f.kl()).isZero();
            assertThat(f.objective()).isEqualTo(f.goldReward());
            assertThat(f.winRate()).isEqualTo(0.5);
            assertThat(f.greedyWinRate()).isEqualTo(0.5);
            assertThat(f.proxyReward()).isNull();
            assertThat(f.goldReward()).isBetween(0.0, 1.0);
            assertThat(f.accuracy()).isBetween(0.0, 1.0);
            assertThat(f.meanResponseTokens()).isBetween(0.0, 12.0);
            assertThat(own.sampled().generations()).hasSize(8);
        }
    }

    @Test
    void theSameSpecGivesTheSameFiguresEveryTime() throws Exception {
        HeldOutEvaluation eval = new HeldOutEvaluation(TinyPolicies.SPEC, null);
        try (Policy p = TinyPolicies.load(other); Policy ref = TinyPolicies.load(pi0)) {
            EvalFigures first = eval.measure(p, eval.rollouts(p), ref, eval.rollouts(ref));
            EvalFigures second = eval.measure(p, eval.rollouts(p), ref, eval.rollouts(ref));
            assertThat(second).isEqualTo(first);
        }
    }

    @Test
    void againstAnotherReferenceTheKlIsPositiveAndJSubtractsBetaTimesIt() throws Exception {
        HeldOutEvaluation eval = new HeldOutEvaluation(TinyPolicies.SPEC, null);
        try (Policy p = TinyPolicies.load(other); Policy ref = TinyPolicies.load(pi0)) {
            Rollouts own = eval.rollouts(p);
            Rollouts baseline = eval.rollouts(ref);
            EvalFigures f = eval.measure(p, own, ref, baseline);

            assertThat(f.kl()).isGreaterThan(0.5);
            assertThat(f.objective()).isCloseTo(f.goldReward() - 0.1 * f.kl(), within(1e-12));
            assertThat(f.winRate()).isEqualTo(WinRate.of(own.sampled().rewards(), baseline.sampled().rewards()));
            assertThat(f.greedyWinRate()).isEqualTo(WinRate.of(own.greedy().rewards(), baseline.greedy().rewards()));
        }
    }

    @Test
    void atAnotherTemperatureTheKlStillComesFromThePolicysOwnSamples() throws Exception {
        EvaluationSpec cold = new EvaluationSpec(8, 1, 0.5, 12, 4, 0.1);
        HeldOutEvaluation eval = new HeldOutEvaluation(cold, null);
        HeldOutEvaluation atOne = new HeldOutEvaluation(TinyPolicies.SPEC, null);
        try (Policy p = TinyPolicies.load(other); Policy ref = TinyPolicies.load(pi0)) {
            // the same temperature-1 draws as the spec at temperature 1, whatever the sampled responses' temperature
            assertThat(eval.measure(p, eval.rollouts(p), ref, null).kl())
                    .isEqualTo(atOne.measure(p, atOne.rollouts(p), ref, null).kl());
        }
    }
}
