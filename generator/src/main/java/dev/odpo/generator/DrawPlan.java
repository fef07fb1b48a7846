package dev.odpo.generator;

import dev.odpo.events.SamplerKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Which distribution draws each of a prompt's N responses.
 *
 * <p>Vanilla: all N from π_θ. PILAF ("PILAF: Optimal Human Preference Sampling for Reward Modeling",
 * arXiv:2502.04270): the N responses are N/2 pairs, and each pair flips its own fair coin — heads, both
 * responses from π_θ; tails, one from π⁺ (logits (1+β)·z_θ − β·z_ref) and one from π⁻ ((1−β)·z_θ + β·z_ref).
 * A pair occupies indices 2k and 2k+1 and carries pair slot k, so the pair-builder pairs exactly the two
 * responses drawn together. With N = 2 this is the paper's per-prompt rule; a larger N is N/2 independent
 * PILAF draws for the same prompt.
 */
public final class DrawPlan {

    private DrawPlan() {
    }

    /** The draws of one prompt's group; PILAF consumes one uniform from {@code rng} per pair. */
    public static List<Draw> of(SamplerChoice sampler, int n, Random rng) {
        return switch (sampler) {
            case VANILLA -> vanilla(n);
            case PILAF -> pilaf(n, rng);
        };
    }

    static List<Draw> vanilla(int n) {
        List<Draw> draws = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            draws.add(new Draw(i, SamplerKind.POLICY, null));
        }
        return draws;
    }

    static List<Draw> pilaf(int n, Random rng) {
        if (n < 2 || n % 2 != 0) {
            throw new IllegalArgumentException("PILAF draws pairs: N must be even and at least 2, got " + n);
        }
        List<Draw> draws = new ArrayList<>(n);
        for (int slot = 0; slot < n / 2; slot++) {
            boolean fromPolicy = rng.nextDouble() < 0.5;
            draws.add(new Draw(2 * slot, fromPolicy ? SamplerKind.POLICY : SamplerKind.PILAF_PLUS, slot));
            draws.add(new Draw(2 * slot + 1, fromPolicy ? SamplerKind.POLICY : SamplerKind.PILAF_MINUS, slot));
        }
        return draws;
    }
}
