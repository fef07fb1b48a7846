package dev.odpo.evaluator;

import dev.odpo.model.SamplingOptions;
import dev.odpo.task.TaskPrompt;
import dev.odpo.task.TaskSuite;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * What fixes an evaluation, so that the figures of two policies — two versions, or a snapshot and a model
 * trained elsewhere — are comparable: the held-out prompts, the decoding and the seeds. Every version of a
 * policy is measured with one spec; {@link #label()} names it in each report.
 *
 * @param prompts      how many held-out prompts: the first n of the task's EVAL split ({@link TaskSuite#evaluationSet})
 * @param seed         seed of the sampled responses; batch i draws from {@code new Random(seed + i)}, so every
 *                     policy meets the same random numbers batch by batch
 * @param temperature  temperature of the sampled responses (&gt; 0)
 * @param maxNewTokens longest response, in tokens
 * @param batchSize    prompts decoded together (part of the spec: it fixes which draws each batch gets)
 * @param beta         β of the objective J = gold reward − β·KL(π_θ‖π_ref)
 */
public record EvaluationSpec(int prompts, long seed, double temperature, int maxNewTokens, int batchSize, double beta) {

    public EvaluationSpec {
        if (prompts < 1) {
            throw new IllegalArgumentException("evaluate at least one prompt, got " + prompts);
        }
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be >= 1, got " + maxNewTokens);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (!(beta >= 0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException("beta must be >= 0, got " + beta);
        }
    }

    /** The held-out prompts of the project's standard task suite. */
    public List<TaskPrompt> heldOutPrompts() {
        return TaskSuite.standard().evaluationSet(prompts);
    }

    public SamplingOptions greedy() {
        return SamplingOptions.greedy(maxNewTokens);
    }

    /** Sampling at {@code temperature}, nothing truncated (no top-k, no top-p). */
    public SamplingOptions sampled(double t) {
        return SamplingOptions.sampled(maxNewTokens, t, 0, 1.0);
    }

    /** The random numbers of batch {@code index}. */
    public Random rngOfBatch(int index) {
        return new Random(seed + index);
    }

    /**
     * Names the held-out set and how it was decoded, e.g.
     * {@code task-eval:suite=20260401,n=128,seed=1,t=1.0,max=64,batch=64}: reports with the same label compare.
     */
    public String label() {
        return String.format(Locale.ROOT, "task-eval:suite=%d,n=%d,seed=%d,t=%s,max=%d,batch=%d",
                TaskSuite.standard().seed(), prompts, seed, temperature, maxNewTokens, batchSize);
    }
}
