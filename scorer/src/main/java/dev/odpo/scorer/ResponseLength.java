package dev.odpo.scorer;

import dev.odpo.events.Sample;
import dev.odpo.model.TextTokenizer;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Measures |response|. Characters are Unicode code points of the response text. Tokens come from one
 * source for every sample, so that lengths stay comparable: the reward model's tokenizer when the scorer
 * has one (the response as the reward model reads it, without the end-of-sequence token), else the
 * sample's own {@code response_token_ids} (the policy's tokens).
 */
public final class ResponseLength {

    /** How |response| is counted. */
    public enum Unit {
        CHARS, TOKENS;

        public static Unit parse(String s) {
            return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
                case "chars", "characters" -> CHARS;
                case "tokens" -> TOKENS;
                default -> throw new IllegalArgumentException("unknown length unit '" + s + "' (expected chars or tokens)");
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final TextTokenizer tokenizer;

    /** @param tokenizer the reward model's tokenizer, or null when the scorer has no reward model */
    public ResponseLength(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public static int chars(Sample s) {
        String text = s.getResponseText();
        return text.codePointCount(0, text.length());
    }

    /** The response's length in tokens; empty when there is no tokenizer and the sample carries no token ids. */
    public OptionalInt tokens(Sample s) {
        if (tokenizer != null) {
            return OptionalInt.of(tokenizer.encode(s.getResponseText(), false).length);
        }
        return s.getResponseTokenIds().isEmpty() && !s.getResponseText().isEmpty()
                ? OptionalInt.empty() : OptionalInt.of(s.getResponseTokenIds().size());
    }

    /** The response's length in {@code unit}; empty when tokens cannot be counted for this sample. */
    public OptionalInt in(Unit unit, Sample s) {
        return unit == Unit.CHARS ? OptionalInt.of(chars(s)) : tokens(s);
    }

    /** Where tokens are counted, for logs and docs. */
    public String tokenSource() {
        return tokenizer != null ? "the reward model's tokenizer" : "the samples' response_token_ids";
    }
}
