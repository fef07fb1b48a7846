package dev.odpo.evaluator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.odpo.model.Decoder;
import dev.odpo.model.Generation;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.SamplingOptions;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The KL estimate from a policy's own samples, against what the decoder reports and against its definition. */
class KlEstimateTest {

    static final List<int[]> PROMPTS = List.of(new int[] {1, 4, 20, 30, 6, 5}, new int[] {1, 4, 40, 6, 5},
            new int[] {1, 4, 50, 51, 52, 53, 6, 5});

    @Test
    void teacherForcedLogProbsAreWhatTheDecoderReportedWhileSampling() {
        try (LlamaModel m = TinyPolicies.model(3)) {
            List<Generation> gens = new Decoder(m, null).generate(PROMPTS, SamplingOptions.sampled(10, 1.0, 0, 1.0),
                    new Random(5));
            double[] lp = KlEstimate.logProbs(m, PROMPTS, gens.stream().map(Generation::tokens).toList(), 2);
            for (int i = 0; i < gens.size(); i++) {
                assertThat(lp[i]).isCloseTo(gens.get(i).logProb(), within(1e-3));
            }
        }
    }

    @Test
    void aPolicyAgainstAnIdenticalCopyHasExactlyZeroKl() {
        try (LlamaModel m = TinyPolicies.model(3); LlamaModel copy = m.copy()) {
            List<int[]> responses = new Decoder(m, null).generate(PROMPTS, SamplingOptions.sampled(10, 1.0, 0, 1.0),
                    new Random(6)).stream().map(Generation::tokens).toList();
            assertThat(KlEstimate.logRatios(m, copy, PROMPTS, responses, 2)).containsOnly(0.0);
        }
    }

    @Test
    void theEstimateOfAnotherPolicyIsPositiveAndIsTheMeanLogRatio() {
        try (LlamaModel policy = TinyPolicies.model(3); LlamaModel reference = TinyPolicies.model(4)) {
            List<int[]> prompts = Collections.nCopies(24, PROMPTS.get(0));
            List<int[]> responses = new Decoder(policy, null).generate(prompts, SamplingOptions.sampled(10, 1.0, 0, 1.0),
                    new Random(7)).stream().map(Generation::tokens).toList();
            double[] ratios = KlEstimate.logRatios(policy, reference, prompts, responses, 8);
            double[] theta = KlEstimate.logProbs(policy, prompts, responses, 5);
            double[] ref = KlEstimate.logProbs(reference, prompts, responses, 3);
            for (int i = 0; i < ratios.length; i++) {
                assertThat(ratios[i]).as("batching changes nothing").isCloseTo(theta[i] - ref[i], within(1e-4));
            }
            // KL between two clearly different policies over ten-token responses: well above zero
            assertThat(KlEstimate.mean(ratios)).isGreaterThan(0.5);
        }
    }
}
