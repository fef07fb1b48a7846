package dev.odpo.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.odpo.events.SamplerKind;
import dev.odpo.model.SamplingOptions;
import dev.odpo.model.SequenceLogProbs;
import dev.odpo.model.TokenBatch;
import dev.odpo.policy.Policy;
import dev.odpo.task.TaskTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batched sampling of groups on a tiny policy, without Kafka. */
class GroupSamplerTest {

    @TempDir
    static Path dir;
    static Policy policy;
    static Policy reference;

    @BeforeAll
    static void policies() throws Exception {
        TinyPolicies.write(dir.resolve("policy"), 1);
        TinyPolicies.write(dir.resolve("reference"), 2);
        policy = Policy.load(dir.resolve("policy"), "policy", 3, Device.cpu());
        reference = Policy.load(dir.resolve("reference"), "policy", 0, Device.cpu());
    }

    @AfterAll
    static void close() {
        policy.close();
        reference.close();
    }

    private static List<int[]> prompts(String... texts) {
        List<int[]> out = new ArrayList<>();
        for (String t : texts) {
            out.add(policy.encoding().prompt(t));
        }
        return out;
    }

    /**
     * The logprob a sample carries is the policy's own at temperature 1 — Σ log softmax(z_θ) over the response
     * ids, as Hugging Face scores them — even when it was drawn at another temperature, with top-k, or from
     * PILAF's π⁺/π⁻. Recomputed here by a full forward pass (no KV cache, right padding) through
     * {@link SequenceLogProbs}.
     */
    @Test
    void theLogprobOfEverySampleEqualsSequenceLogProbsOfTheSameIdsUnderThePolicy() {
        SamplingOptions options = new SamplingOptions(12, false, 0.6, 20, 0.95, List.of());
        SamplingPlan plan = new SamplingPlan(4, options, SamplerChoice.PILAF, 0.8, 5);
        ServingPolicy serving = new ServingPolicy(policy, reference, 0L);
        List<int[]> prompts = prompts("Reverse: 1 2 3", "Count a in: abacad", "Tom has 5 pens and gets 3 more. How many pens?");
        List<List<GroupSampler.Response>> groups = GroupSampler.sample(serving, plan, prompts, new Random(11));

        List<int[]> promptRows = new ArrayList<>();
        List<int[]> responses = new ArrayList<>();
        List<Double> reported = new ArrayList<>();
        for (int p = 0; p < groups.size(); p++) {
            for (GroupSampler.Response r : groups.get(p)) {
                promptRows.add(prompts.get(p));
                responses.add(r.generation().tokens());
                reported.add(r.generation().logProb());
            }
        }
        assertThat(groups).flatMap(g -> g).extracting(r -> r.draw().sampler())
                .as("the check covers responses drawn from π_θ and from π⁺/π⁻")
                .contains(SamplerKind.POLICY, SamplerKind.PILAF_PLUS, SamplerKind.PILAF_MINUS);
        try (NDManager m = policy.model().newStepManager()) {
            TokenBatch batch = TokenBatch.of(m, promptRows, responses, TaskTokenizer.PAD_ID);
            NDArray logits = policy.model().logits(batch.inputIds(), batch.attentionMask());   // (B, T, V)
            float[] summed = SequenceLogProbs.of(logits, batch).summed().toFloatArray();       // (B)
            for (int i = 0; i < summed.length; i++) {
                assertThat(reported.get(i)).as("row %d", i).isCloseTo(summed[i], within(2e-3 + 1e-4 * Math.abs(summed[i])));
            }
        }
    }

    @Test
    void everyPromptGetsExactlyNResponsesInIndexOrder() {
        SamplingPlan plan = new SamplingPlan(3, SamplingOptions.sampled(6, 1.0, 0, 1.0), SamplerChoice.VANILLA, 0, 1);
        List<List<GroupSampler.Response>> groups = GroupSampler.sample(ServingPolicy.alone(policy), plan,
                prompts("a", "Reverse: 9 8 7 6", "b"), new Random(2));
        assertThat(groups).hasSize(3);
        for (List<GroupSampler.Response> g : groups) {
            assertThat(g).extracting(r -> r.draw().indexInGroup()).containsExactly(0, 1, 2);
            assertThat(g).allSatisfy(r -> {
                assertThat(r.generation().tokens()).isNotEmpty().hasSizeLessThanOrEqualTo(6);
                assertThat(r.generation().finishReason()).isIn("eos", "length");
            });
        }
    }

    @Test
    void theSameSeedDrawsTheSameResponses() {
        SamplingPlan plan = new SamplingPlan(4, SamplingOptions.sampled(8, 1.0, 0, 1.0), SamplerChoice.PILAF, 0.5, 9);
        ServingPolicy serving = new ServingPolicy(policy, reference, 0L);
        Random a = plan.randomFor("odpo.prompts", 1, 17);
        Random b = plan.randomFor("odpo.prompts", 1, 17);
        var first = GroupSampler.sample(serving, plan, prompts("Reverse: 1 2"), a);
        var second = GroupSampler.sample(serving, plan, prompts("Reverse: 1 2"), b);
        for (int i = 0; i < 4; i++) {
            assertThat(second.get(0).get(i).generation().tokens()).containsExactly(first.get(0).get(i).generation().tokens());
            assertThat(second.get(0).get(i).draw()).isEqualTo(first.get(0).get(i).draw());
        }
    }
}
