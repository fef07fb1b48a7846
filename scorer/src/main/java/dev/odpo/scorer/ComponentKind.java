package dev.odpo.scorer;

import java.util.Arrays;
import java.util.Locale;

/** The parts a scorer's reward can be built from; each is a key of the Score's {@code components} map. */
public enum ComponentKind {
    /** A Hugging Face {@code *ForSequenceClassification} reward model's score of (prompt, response). */
    REWARD_MODEL("reward-model"),
    /** The built-in task's gold reward, for samples that carry a task and a reference answer. */
    VERIFIER("verifier"),
    /** −λ·|response| ("RLHF Workflow: From Reward Modeling to Online RLHF", arXiv:2405.07863, eq. 8). */
    LENGTH_PENALTY("length-penalty");

    private final String id;

    ComponentKind(String id) {
        this.id = id;
    }

    /** The name used in settings and in the Score's components map. */
    public String id() {
        return id;
    }

    public static ComponentKind parse(String s) {
        String norm = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        for (ComponentKind k : values()) {
            if (k.id.equals(norm)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown component '" + s + "'; expected one of "
                + Arrays.stream(values()).map(ComponentKind::id).toList());
    }

    @Override
    public String toString() {
        return id;
    }
}
