package dev.odpo.generator;

import dev.odpo.model.SamplingOptions;
import java.util.Random;

/**
 * How every prompt is sampled: N responses, the decoding options, the sampler and its β, and the seed. Fixed
 * by configuration at start; a prompt cannot change it.
 *
 * @param n       responses per prompt (the group size); even for PILAF, which draws pairs
 * @param options temperature, top-k, top-p, max new tokens, stop strings
 * @param sampler vanilla (N from π_θ) or PILAF
 * @param beta    PILAF's β in π⁺ ∝ exp((1+β)·z_θ − β·z_ref) and π⁻ ∝ exp((1−β)·z_θ + β·z_ref); unused by vanilla
 * @param seed    mixed with each batch's first prompt offset, so a replayed batch draws the same responses
 */
public record SamplingPlan(int n, SamplingOptions options, SamplerChoice sampler, double beta, long seed) {

    public SamplingPlan {
        if (n < 1) {
            throw new IllegalArgumentException("N must be at least 1, got " + n);
        }
        if (sampler == SamplerChoice.PILAF && n % 2 != 0) {
            throw new IllegalArgumentException("PILAF draws responses in pairs, so N must be even, got " + n);
        }
        if (options.greedy()) {
            throw new IllegalArgumentException("a generator samples; greedy decoding would repeat one response N times");
        }
        if (!(beta >= 0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException("β must be a finite number >= 0, got " + beta);
        }
    }

    /** The random source of one batch, fixed by the seed and where the batch starts in the prompts topic. */
    public Random randomFor(String topic, int partition, long offset) {
        long h = seed;
        h = 31 * h + topic.hashCode();
        h = 31 * h + partition;
        h = 31 * h + offset;
        // SplitMix64's finalizer: neighbouring offsets get unrelated streams
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        return new Random(h ^ (h >>> 31));
    }
}
