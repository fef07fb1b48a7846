package dev.odpo.evaluator;

import ai.djl.ndarray.NDManager;
import dev.odpo.model.LlamaModel;
import dev.odpo.model.SequenceLogProbs;
import dev.odpo.model.TokenBatch;
import java.util.List;

/**
 * KL(π_θ‖π_ref) estimated from the policy's own samples y ~ π_θ(·|x): the mean over samples of the
 * sequence log-ratio Σ_t [log π_θ(y_t | x, y_&lt;t) − log π_ref(y_t | x, y_&lt;t)], the Monte-Carlo form of
 * E_y~π_θ[log π_θ(y|x) − log π_ref(y|x)] that "PILAF: Optimal Human Preference Sampling for Reward
 * Modeling" (arXiv:2502.04270) evaluates policies by. Unbiased, so a single estimate can come out
 * slightly negative when the two policies are close.
 *
 * <p>Both log-probs are teacher-forced through the same code ({@link SequenceLogProbs}), so a policy
 * compared with an identical copy of itself gets exactly 0.
 */
final class KlEstimate {

    private KlEstimate() {
    }

    /**
     * The sequence log-ratio of each sample.
     *
     * @param prompts   prompt ids per sample
     * @param responses response ids per sample (as generated, EOS included)
     */
    static double[] logRatios(LlamaModel policy, LlamaModel reference, List<int[]> prompts, List<int[]> responses,
                              int batchSize) {
        if (policy == reference) {
            return new double[prompts.size()];   // KL(π‖π) = 0
        }
        if (policy.config().vocabSize() != reference.config().vocabSize()) {
            throw new IllegalArgumentException("the reference has a vocabulary of " + reference.config().vocabSize()
                    + " tokens, the policy " + policy.config().vocabSize() + ": KL needs the same tokens");
        }
        double[] theta = logProbs(policy, prompts, responses, batchSize);
        double[] ref = logProbs(reference, prompts, responses, batchSize);
        double[] out = new double[theta.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = theta[i] - ref[i];
        }
        return out;
    }

    /** log π(y|x) of each (prompt, response), in batches. */
    static double[] logProbs(LlamaModel model, List<int[]> prompts, List<int[]> responses, int batchSize) {
        double[] out = new double[prompts.size()];
        for (int from = 0; from < prompts.size(); from += batchSize) {
            int to = Math.min(prompts.size(), from + batchSize);
            try (NDManager step = model.newStepManager()) {
                TokenBatch batch = TokenBatch.of(step, prompts.subList(from, to), responses.subList(from, to), 0);
                float[] summed = SequenceLogProbs.of(model.logits(batch.inputIds(), batch.attentionMask()), batch)
                        .summed().toFloatArray();                                    // (B)
                for (int i = 0; i < summed.length; i++) {
                    out[from + i] = summed[i];
                }
            }
        }
        return out;
    }

    static double mean(double[] xs) {
        double s = 0;
        for (double x : xs) {
            s += x;
        }
        return xs.length == 0 ? 0 : s / xs.length;
    }
}
