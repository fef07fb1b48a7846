package dev.odpo.generator;

import dev.odpo.model.Decoder;
import dev.odpo.policy.Policy;

/**
 * The policy version a generator samples from, with PILAF's reference policy when it needs one. Closing it
 * frees both (a reference that is the policy itself is freed once).
 *
 * @param policy           π_θ: its model, tokenizer and prompt encoding
 * @param reference        π_ref for PILAF's π⁺/π⁻; the policy itself when the snapshot names no other
 *                         reference (then π⁺ = π⁻ = π_θ); null for vanilla sampling
 * @param referenceVersion the reference's snapshot version, or null
 */
public record ServingPolicy(Policy policy, Policy reference, Long referenceVersion) implements AutoCloseable {

    /** A policy served alone (vanilla sampling). */
    public static ServingPolicy alone(Policy policy) {
        return new ServingPolicy(policy, null, null);
    }

    public long version() {
        return policy.version();
    }

    /** π_θ's decoder. */
    public Decoder policyDecoder() {
        return policy.decoder();
    }

    /**
     * PILAF's π⁺ (extrapolated, {@code plus}) or π⁻ (interpolated) decoder; it reports log-probs under π_θ.
     * With the policy as its own reference both are π_θ.
     *
     * @throws IllegalStateException when no reference was loaded (a vanilla generator)
     */
    public Decoder pilafDecoder(double beta, boolean plus) {
        if (reference == null) {
            throw new IllegalStateException("PILAF needs a reference policy; none was loaded");
        }
        if (reference == policy) {
            return policy.decoder();   // (1±β)·z_θ ∓ β·z_θ = z_θ: one forward pass instead of two
        }
        return Decoder.pilaf(policy.model(), reference.model(), beta, plus, policy.tokenizer());
    }

    /** "policy v3" or "policy v3 (reference v0)", for logs. */
    public String label() {
        return policy.label() + (referenceVersion == null ? "" : " (reference v" + referenceVersion + ")");
    }

    @Override
    public void close() {
        try {
            if (reference != null && reference != policy) {
                reference.close();
            }
        } finally {
            policy.close();
        }
    }
}
