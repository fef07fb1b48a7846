package dev.odpo.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.odpo.model.Generation;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.SamplingOptions;
import dev.odpo.policy.Policy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PILAF's π⁺ and π⁻ as the generator builds them ({@link ServingPolicy#pilafDecoder}): their next-token
 * logits are (1+β)·z_θ − β·z_ref and (1−β)·z_θ + β·z_ref ("PILAF: Optimal Human Preference Sampling for
 * Reward Modeling", arXiv:2502.04270), computed here by hand from each model's own logits.
 */
class PilafMixingTest {

    @TempDir
    static Path dir;
    static Policy policy;
    static Policy reference;

    @BeforeAll
    static void policies() throws Exception {
        TinyPolicies.write(dir.resolve("policy"), 21);
        TinyPolicies.write(dir.resolve("reference"), 22);
        policy = Policy.load(dir.resolve("policy"), "policy", 1, Device.cpu());
        reference = Policy.load(dir.resolve("reference"), "policy", 0, Device.cpu());
    }

    @AfterAll
    static void close() {
        policy.close();
        reference.close();
    }

    /** Last-position logits of one prompt, (V). */
    private static float[] lastLogits(LlamaModel model, int[] prompt) {
        try (NDManager m = model.newStepManager()) {
            long[] ids = new long[prompt.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = prompt[i];
            }
            NDArray logits = model.logits(m.create(ids, new Shape(1, ids.length)), null);   // (1, T, V)
            return logits.get("0, -1, :").toFloatArray();                                    // (V)
        }
    }

    private static int argmax(double[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) {
            if (z[i] > z[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double logSoftmax(float[] z, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float f : z) {
            max = Math.max(max, f);
        }
        double sum = 0;
        for (float f : z) {
            sum += Math.exp(f - max);
        }
        return z[token] - max - Math.log(sum);
    }

    @Test
    void plusAndMinusDecodeTheHandMixedLogitsAndReportLogProbsUnderThePolicy() {
        ServingPolicy serving = new ServingPolicy(policy, reference, 0L);
        List<String> texts = List.of("Reverse: 1 2 3", "Count b in: bbcab", "What is 2 + 2?", "Sort: 4 1 3",
                "Tom has 2 cups.", "x", "Reverse: 9 9", "Count e in: eee");
        int differsFromPolicy = 0;
        for (double beta : new double[] {0.5, 2.0}) {
            for (boolean plus : new boolean[] {true, false}) {
                List<int[]> prompts = new ArrayList<>();
                texts.forEach(t -> prompts.add(policy.encoding().prompt(t)));
                List<Generation> greedy = serving.pilafDecoder(beta, plus)
                        .generate(prompts, SamplingOptions.greedy(1), new Random(0));
                for (int p = 0; p < prompts.size(); p++) {
                    float[] zt = lastLogits(policy.model(), prompts.get(p));
                    float[] zr = lastLogits(reference.model(), prompts.get(p));
                    double wt = plus ? 1 + beta : 1 - beta;
                    double wr = plus ? -beta : beta;
                    double[] mixed = new double[zt.length];
                    double[] own = new double[zt.length];
                    for (int v = 0; v < zt.length; v++) {
                        mixed[v] = wt * zt[v] + wr * zr[v];
                        own[v] = zt[v];
                    }
                    int token = greedy.get(p).tokens()[0];
                    assertThat(token).as("β %s, %s, prompt %d", beta, plus ? "π⁺" : "π⁻", p).isEqualTo(argmax(mixed));
                    assertThat(greedy.get(p).logProb()).as("log π_θ of the drawn token")
                            .isCloseTo(logSoftmax(zt, token), within(1e-4));
                    if (token != argmax(own)) {
                        differsFromPolicy++;
                    }
                }
            }
        }
        assertThat(differsFromPolicy).as("the mixing changes some choices, so the check can tell it from π_θ alone")
                .isPositive();
    }

    @Test
    void aReferenceEqualToThePolicyLeavesThePolicysDistribution() {
        ServingPolicy selfReferenced = new ServingPolicy(policy, policy, 1L);
        List<int[]> prompts = List.of(policy.encoding().prompt("Reverse: 3 4"), policy.encoding().prompt("y"));
        SamplingOptions sampled = SamplingOptions.sampled(8, 1.0, 0, 1.0);
        List<Generation> plain = selfReferenced.policyDecoder().generate(prompts, sampled, new Random(4));
        List<Generation> plus = selfReferenced.pilafDecoder(0.7, true).generate(prompts, sampled, new Random(4));
        for (int p = 0; p < prompts.size(); p++) {
            assertThat(plus.get(p).tokens()).containsExactly(plain.get(p).tokens());
        }
    }
}
