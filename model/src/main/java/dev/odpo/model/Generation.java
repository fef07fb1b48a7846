package dev.odpo.model;

/**
 * One generated sequence.
 *
 * @param promptTokens the prompt's token ids
 * @param tokens       generated token ids (EOS included when it ended the sequence)
 * @param text         decoded text of the generated tokens (cut before a stop string); null without a tokenizer
 * @param logProb      Σ log π(token) under the policy (the first model, raw logits at temperature 1) over {@code tokens}
 * @param finishReason "eos", "stop" (a stop string) or "length"
 */
public record Generation(int[] promptTokens, int[] tokens, String text, double logProb, String finishReason) {}
