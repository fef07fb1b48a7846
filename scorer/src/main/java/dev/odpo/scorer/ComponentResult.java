package dev.odpo.scorer;

/** What one reward component made of one sample. */
public sealed interface ComponentResult {

    /** The component's value for the sample, before its weight. */
    record Value(double value) implements ComponentResult {
    }

    /**
     * The component does not apply to this sample (a verifier and a sample without a reference answer): the
     * reward is built from the other components, and the Score names this one with the reason.
     */
    record Skipped(String reason) implements ComponentResult {
    }

    /** The sample cannot be scored honestly (longer than the reward model's context): it is dead-lettered. */
    record Refused(String reason) implements ComponentResult {
    }

    static ComponentResult value(double v) {
        return new Value(v);
    }

    static ComponentResult skipped(String reason) {
        return new Skipped(reason);
    }

    static ComponentResult refused(String reason) {
        return new Refused(reason);
    }
}
