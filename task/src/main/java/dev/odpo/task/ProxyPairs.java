package dev.odpo.task;

import dev.odpo.policy.PromptEncoding;
import dev.odpo.model.Generation;
import dev.odpo.model.Decoder;
import dev.odpo.model.SamplingOptions;
import dev.odpo.model.TextTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Gold-labelled preference pairs of a policy's own samples — the "limited set of human labels" a
 * proxy reward model is trained from (papers/002, section 2). For each RL-split prompt the policy
 * draws {@code k} responses at temperature 1; the gold reward labels the best one chosen and the
 * worst one rejected; prompts whose samples all score the same are dropped (ties carry no preference).
 */
public final class ProxyPairs {
    private ProxyPairs() {
    }

    /**
     * @param prompts          how many RL prompts to label (the labelling budget)
     * @param samplesPerPrompt k responses drawn per prompt (≥ 2)
     * @param maxNewTokens     response length cap
     */
    public static List<LabeledPair> sample(Decoder policy, TextTokenizer tok, TaskSuite suite, int prompts,
                                           int samplesPerPrompt, int maxNewTokens, long seed, StepListener listener) {
        if (samplesPerPrompt < 2) {
            throw new IllegalArgumentException("need at least 2 samples per prompt, got " + samplesPerPrompt);
        }
        GoldReward gold = new GoldReward();
        Random rng = new Random(seed);
        List<TaskPrompt> ps = suite.prompts(Split.RL, prompts, seed);
        SamplingOptions sampling = SamplingOptions.sampled(maxNewTokens, 1.0, 0, 1.0);
        List<LabeledPair> pairs = new ArrayList<>();
        int perBatch = Math.max(1, 32 / samplesPerPrompt);
        for (int from = 0; from < ps.size(); from += perBatch) {
            List<TaskPrompt> chunk = ps.subList(from, Math.min(ps.size(), from + perBatch));
            List<int[]> ids = new ArrayList<>();
            for (TaskPrompt p : chunk) {
                int[] pi = PromptEncoding.of(tok).prompt(p.text());
                for (int k = 0; k < samplesPerPrompt; k++) {
                    ids.add(pi);
                }
            }
            List<Generation> out = policy.generate(ids, sampling, rng);
            for (int i = 0; i < chunk.size(); i++) {
                TaskPrompt p = chunk.get(i);
                String best = null, worst = null;
                double hi = Double.NEGATIVE_INFINITY, lo = Double.POSITIVE_INFINITY;
                for (int k = 0; k < samplesPerPrompt; k++) {
                    String text = out.get(i * samplesPerPrompt + k).text();
                    double r = gold.score(p, text).reward();
                    if (r > hi) {
                        hi = r;
                        best = text;
                    }
                    if (r < lo) {
                        lo = r;
                        worst = text;
                    }
                }
                if (hi > lo) {
                    pairs.add(new LabeledPair(p.text(), best, worst));
                }
            }
            listener.onStep(Math.min(ps.size(), from + perBatch), ps.size(), pairs.size());
        }
        return pairs;
    }
}
