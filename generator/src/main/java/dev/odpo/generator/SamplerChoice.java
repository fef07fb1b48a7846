package dev.odpo.generator;

import java.util.Locale;

/** Which responses a generator draws for a prompt, chosen by the {@code generator.sampler} setting. */
public enum SamplerChoice {

    /**
     * N samples from the current policy π_θ; which of them become a pair (best-of-N vs worst-of-N) is the
     * pair-builder's choice, as in "RLHF Workflow: From Reward Modeling to Online RLHF" (arXiv:2405.07863).
     */
    VANILLA("vanilla"),

    /**
     * N/2 pairs drawn as in "PILAF: Optimal Human Preference Sampling for Reward Modeling" (Feng et al. 2025,
     * arXiv:2502.04270): each pair is either two samples from π_θ or one from π⁺ and one from π⁻, marked by a
     * shared pair slot.
     */
    PILAF("pilaf");

    private final String label;

    SamplerChoice(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The sampler named {@code text}: vanilla or pilaf. */
    public static SamplerChoice parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        for (SamplerChoice c : values()) {
            if (c.label.equals(s)) {
                return c;
            }
        }
        throw new IllegalArgumentException("must be vanilla or pilaf, got '" + text + "'");
    }
}
