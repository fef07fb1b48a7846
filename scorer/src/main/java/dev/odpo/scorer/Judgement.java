package dev.odpo.scorer;

import java.util.Map;

/** A scorer's verdict on one sample: a reward with its parts, or a refusal that sends it to dead letters. */
public sealed interface Judgement {

    /**
     * @param reward         Σ weight·component over {@code components}
     * @param components     each component's value before its weight, by name
     * @param skipped        components that did not apply to this sample, with the reason
     * @param responseTokens the response's length in tokens, or null when it cannot be counted
     */
    record Scored(double reward, Map<String, Double> components, Map<String, String> skipped, Integer responseTokens)
            implements Judgement {
        public Scored {
            components = Map.copyOf(components);
            skipped = Map.copyOf(skipped);
        }
    }

    /** The sample cannot be scored; {@code reason} goes into its dead letter. */
    record Refused(String reason) implements Judgement {
    }
}
