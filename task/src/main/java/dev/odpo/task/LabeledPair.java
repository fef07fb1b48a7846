package dev.odpo.task;

import java.util.Objects;

/**
 * A preference between two responses to one prompt, as the reward model trains on it.
 *
 * @param prompt   the user message, without chat markup
 * @param chosen   the preferred response
 * @param rejected the other response
 */
public record LabeledPair(String prompt, String chosen, String rejected) {
    public LabeledPair {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
    }
}
